"use client";

import { ModalDialog } from "./modal-dialog";

/** What a 409 `conflict:document_name` names: the upload's file name and the documents holding it. */
export interface NameConflict {
  fileName: string;
  documents: Array<{ documentId: string; title: string }>;
}

export type ConflictChoice =
  | { kind: "replace"; documentId: string }
  | { kind: "keep_both" }
  | { kind: "cancel" };

/**
 * Asks what to do with an upload whose name is taken: nothing is ever replaced without this
 * choice. Escape (or closing the dialog any other way) cancels the upload.
 */
export function NameConflictDialog({
  conflict,
  onAnswer,
}: {
  conflict: NameConflict | null;
  onAnswer: (choice: ConflictChoice) => void;
}) {
  const existing = conflict?.documents ?? [];
  const title = existing[0]?.title ?? conflict?.fileName ?? "";
  return (
    <ModalDialog
      isOpen={conflict !== null}
      title={`A document named “${title}” is already here`}
      onClose={() => onAnswer({ kind: "cancel" })}
      testId="conflict-dialog"
    >
      <div className="modal-body">
        <p>
          Upload <strong>{conflict?.fileName}</strong> as a new version — search and answers then use the new
          content once it is indexed — or keep both as separate documents.
        </p>
      </div>
      <div className="modal-actions stacked">
        {existing.map((document) => (
          <button
            key={document.documentId}
            type="button"
            data-testid="conflict-replace"
            onClick={() => onAnswer({ kind: "replace", documentId: document.documentId })}
          >
            Upload as a new version of {document.title}
          </button>
        ))}
        <button
          type="button"
          className="secondary"
          data-testid="conflict-keep-both"
          onClick={() => onAnswer({ kind: "keep_both" })}
        >
          Keep both
        </button>
        <button
          type="button"
          className="secondary"
          data-testid="conflict-cancel"
          onClick={() => onAnswer({ kind: "cancel" })}
        >
          Cancel
        </button>
      </div>
    </ModalDialog>
  );
}
