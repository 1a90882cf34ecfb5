"use client";

import { type MouseEvent, useEffect, useMemo, useState } from "react";
import type { Citation } from "../../lib/domain/answer-events";
import { pageNameOf } from "../../lib/domain/page-text";
import { AnswerText } from "./answer-text";
import { type ApiProblem, asProblem, callApi } from "./api-client";
import type { AnswerAuditView, AuditedSourceView } from "./audit-data";
import { HashCheckBadge, LedgerCheckBadge } from "./audit-hash-badge";
import { AuditRecord } from "./audit-record";
import { AuditSourcePanel, versionNote } from "./audit-source-panel";
import { ClaimSummary, RefusalNote } from "./claim-summary";
import { ThumbIcon } from "./feedback-icons";
import { formatDate } from "./labels";
import { ProblemNotice } from "./problem-notice";

/** A citation for AnswerText: the marker opens the passage kept with the answer. */
function citationOf(source: AuditedSourceView): Citation {
  return {
    n: source.n,
    source: {
      n: source.n,
      chunkId: source.chunkId,
      documentId: source.documentId,
      versionId: source.versionId,
      documentTitle: source.documentTitle,
      pageNumber: source.pageNumber,
      pageLabel: source.pageLabel,
      box: source.box,
      kind: source.kind === "table" || source.kind === "figure" ? source.kind : "text",
      text: source.text ?? "",
      contentHash: source.contentHash,
      imageSha256: source.imageSha256,
    },
  };
}

/** Back to the search the auditor came from (its fields are in that page's URL), else to a new one. */
function backToSearch(event: MouseEvent<HTMLAnchorElement>): void {
  const referrer = document.referrer ? new URL(document.referrer) : null;
  if (referrer?.origin === window.location.origin && referrer.pathname === "/audit") {
    event.preventDefault();
    window.history.back();
  }
}

/**
 * One answer as the auditor checks it: question, answer with its claim verdicts, the passages the
 * model was sent (each with its checks; the chosen one's page beside), the ledger and the model,
 * and what readers said.
 */
export function AuditAnswerView({ answerId }: { answerId: string }) {
  const [audit, setAudit] = useState<AnswerAuditView | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [openN, setOpenN] = useState<number | null>(null);
  // The first passage opens by itself; focus follows only a passage the auditor chose.
  const [hasChosenSource, setHasChosenSource] = useState(false);
  const choose = (n: number) => {
    setOpenN(n);
    setHasChosenSource(true);
  };

  useEffect(() => {
    callApi<{ audit: AnswerAuditView }>("GET", `/api/audit/answers/${answerId}`).then(
      (loaded) => {
        setAudit(loaded.audit);
        const first = loaded.audit.sources.find((source) => source.isCited) ?? loaded.audit.sources[0];
        setOpenN(first?.n ?? null);
      },
      (error: unknown) => setProblem(asProblem(error)),
    );
  }, [answerId]);

  const citations = useMemo(
    () =>
      new Map(
        (audit?.sources ?? [])
          .filter((source) => source.isCited)
          .map((source) => [source.n, citationOf(source)]),
      ),
    [audit],
  );

  if (problem) return <ProblemNotice problem={problem} />;
  if (!audit) return <p className="muted">Loading the answer…</p>;
  const open = audit.sources.find((source) => source.n === openN) ?? null;
  const { email, displayName, userId } = audit.asker;
  const asker = email
    ? displayName && displayName !== email
      ? `${displayName} <${email}>`
      : email
    : `deleted account (${userId})`;

  return (
    <div className="audit-layout">
      <div className="audit-main">
        <p className="small">
          <a href="/audit" onClick={backToSearch}>
            ← Back to the answers
          </a>
        </p>
        <h1>Answer record</h1>
        <dl className="facts small audit-summary">
          <dt>Asked by</dt>
          <dd data-testid="audit-asker">{asker}</dd>
          <dt>Asked</dt>
          <dd>{formatDate(audit.createdAt)}</dd>
          <dt>Status</dt>
          <dd>{audit.status === "complete" ? "Complete" : `Error: ${audit.errorCode ?? "unknown"}`}</dd>
          <dt>Answer id</dt>
          <dd>
            <code className="hash">{audit.answerId}</code>
          </dd>
        </dl>

        <section className="panel audit-answer" aria-labelledby="audit-question-heading">
          <h2 id="audit-question-heading">Question</h2>
          <p className="audit-question" data-testid="audit-question">
            {audit.question}
          </p>
          <h2>Answer</h2>
          <AnswerText
            text={audit.answer}
            citations={citations}
            claims={audit.claims}
            rejectedMarkers={audit.rejectedMarkers}
            onOpen={choose}
          />
          {audit.refusal && <RefusalNote refusal={audit.refusal} />}
          {audit.claims.length > 0 && <ClaimSummary claims={audit.claims} />}
        </section>

        <AuditRecord audit={audit} />

        <section className="panel" aria-labelledby="audit-sources-heading">
          <h2 id="audit-sources-heading">Passages sent to the model ({audit.sources.length})</h2>
          <p className="small muted">
            Kept with the answer exactly as sent, each checked against the sha256 taken when it was sent and
            the one in the ledger. Choose one to see its page.
          </p>
          {audit.missingSources.length > 0 && (
            <p className="check-badge check-mismatch" role="alert" data-testid="missing-sources">
              <span aria-hidden="true">✗</span> The ledger records passage
              {audit.missingSources.length === 1 ? "" : "s"}{" "}
              {audit.missingSources.map((n) => `[${n}]`).join(", ")}, no longer kept with this answer
            </p>
          )}
          <ol className="audit-sources">
            {audit.sources.map((source) => (
              <li key={source.n} data-testid="audit-source" data-n={source.n}>
                <button
                  type="button"
                  className="source-link"
                  aria-current={source.n === openN ? "true" : undefined}
                  onClick={() => choose(source.n)}
                >
                  [{source.n}] {source.documentTitle}, {pageNameOf(source)}
                </button>
                {source.isCited && <span className="source-tag">cited</span>}
                {source.imageSha256 && <span className="source-tag">image sent</span>}
                <div className="check-list">
                  <HashCheckBadge check={source.hashCheck} />
                  {source.ledgerCheck !== "match" && <LedgerCheckBadge check={source.ledgerCheck} />}
                  <span className="small muted">{versionNote(source)}</span>
                </div>
              </li>
            ))}
          </ol>
        </section>

        <AuditFeedbackList feedback={audit.feedback} />
      </div>
      {open && <AuditSourcePanel answerId={audit.answerId} source={open} shouldTakeFocus={hasChosenSource} />}
    </div>
  );
}

function AuditFeedbackList({ feedback }: { feedback: AnswerAuditView["feedback"] }) {
  return (
    <section className="panel" aria-labelledby="audit-feedback-heading" data-testid="audit-feedback">
      <h2 id="audit-feedback-heading">Feedback ({feedback.length})</h2>
      {feedback.length === 0 ? (
        <p className="muted small">No one has rated this answer.</p>
      ) : (
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">Person</th>
              <th scope="col">Rating</th>
              <th scope="col">Comment</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {feedback.map((item) => (
              <tr key={item.userId} data-testid="audit-feedback-row">
                <td>{item.email ?? <span className="muted">deleted account</span>}</td>
                <td className="nowrap">
                  <ThumbIcon direction={item.rating === 1 ? "up" : "down"} />{" "}
                  {item.rating === 1 ? "Helpful" : "Not helpful"}
                </td>
                <td className="audit-comment">{item.comment || <span className="muted">—</span>}</td>
                <td className="nowrap">{formatDate(item.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
