"use client";

import { type FormEvent, useEffect, useState } from "react";
import { type ApiProblem, asProblem, callApi } from "./api-client";
import { ModalDialog } from "./modal-dialog";
import { ProblemNotice } from "./problem-notice";

/**
 * Asks for the password of a PDF that failed as password-protected and has its version read
 * again. The password goes to the server once and is kept there in memory only, until the
 * document is read.
 */
export function UnlockDialog({
  target,
  onClose,
  onUnlocked,
}: {
  target: { documentId: string; versionId: string; title: string } | null;
  onClose: () => void;
  onUnlocked: () => void;
}) {
  const [password, setPassword] = useState("");
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [isBusy, setIsBusy] = useState(false);

  useEffect(() => {
    if (target) {
      setPassword("");
      setProblem(null);
    }
  }, [target]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!target || password === "") return;
    setIsBusy(true);
    setProblem(null);
    try {
      await callApi("POST", `/api/documents/${target.documentId}/unlock`, {
        versionId: target.versionId,
        password,
      });
      setPassword("");
      onUnlocked();
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setIsBusy(false);
    }
  }

  return (
    <ModalDialog
      isOpen={target !== null}
      title={`Password for “${target?.title ?? ""}”`}
      onClose={onClose}
      testId="unlock-dialog"
    >
      <form onSubmit={submit} className="modal-body">
        <p>Folio reads the document again with this password. It is not stored.</p>
        <label htmlFor="unlock-password">Password</label>
        <input
          id="unlock-password"
          data-testid="unlock-password"
          type="password"
          autoComplete="off"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          maxLength={1024}
          required
        />
        {problem && <ProblemNotice problem={problem} />}
        <div className="modal-actions">
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" data-testid="unlock-submit" disabled={isBusy || password === ""}>
            {isBusy ? "Working…" : "Read with password"}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}
