"use client";

import { useState } from "react";
import { pageNameOf } from "../../lib/domain/page-text";
import type { GoldenQuestionRow } from "./golden-data";
import { ModalDialog } from "./modal-dialog";
import { PageView } from "./page-view";

interface OpenPage {
  documentId: string;
  versionId: string;
  pageNumber: number;
  pageLabel: string | null;
  title: string;
  box: NonNullable<GoldenQuestionRow["latest"]>["box"];
}

/** What the latest run found for one question. */
function ResultCell({
  question,
  k,
  depth,
  onOpen,
}: {
  question: GoldenQuestionRow;
  k: number;
  depth: number;
  onOpen: (page: OpenPage) => void;
}) {
  const latest = question.latest;
  if (!latest) return <span className="muted">Not run since it was added or changed</span>;
  if (latest.rank === null) {
    return (
      <span className="state state-failed" data-testid="golden-result" data-rank="">
        Missed: not in the first {depth} passages
      </span>
    );
  }
  const isHit = latest.rank <= k;
  const { versionId, pageNumber } = latest;
  return (
    <span className="result-with-page">
      <span
        className={isHit ? "state state-succeeded" : "state"}
        data-testid="golden-result"
        data-rank={latest.rank}
      >
        {isHit ? `Hit at rank ${latest.rank}` : `Rank ${latest.rank}, after the first ${k}`}
      </span>
      {versionId && pageNumber !== null && (
        <button
          type="button"
          className="link-button"
          data-testid="golden-open-page"
          onClick={() =>
            onOpen({
              documentId: question.expectedDocumentId,
              versionId,
              pageNumber,
              pageLabel: latest.pageLabel ?? null,
              title: question.expectedDocumentTitle,
              box: latest.box,
            })
          }
        >
          {pageNameOf({ pageNumber, pageLabel: latest.pageLabel })}
          <span className="sr-only">
            {" "}
            of {question.expectedDocumentTitle}, where it was found for “{question.question}”
          </span>
        </button>
      )}
    </span>
  );
}

/** The golden questions, what each expects and what the latest run found; the found page opens beside. */
export function GoldenQuestionTable({
  questions,
  k,
  depth,
  canCurate,
  isBusy,
  onEdit,
  onDelete,
}: {
  questions: readonly GoldenQuestionRow[];
  k: number;
  depth: number;
  canCurate: boolean;
  isBusy: boolean;
  onEdit: (question: GoldenQuestionRow) => void;
  onDelete: (question: GoldenQuestionRow) => void;
}) {
  const [open, setOpen] = useState<OpenPage | null>(null);
  if (questions.length === 0) {
    return (
      <p className="muted">
        {canCurate ? "No questions yet: add the first one below." : "No questions yet."}
      </p>
    );
  }
  return (
    <>
      <table className="data-table golden-table" data-testid="golden-questions">
        <thead>
          <tr>
            <th scope="col">Question</th>
            <th scope="col">Should be answered by</th>
            <th scope="col">Latest run</th>
            {canCurate && (
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {questions.map((question) => (
            <tr key={question.id} data-testid="golden-question-row" data-question-id={question.id}>
              <td className="golden-question-text">{question.question}</td>
              <td>
                {question.expectedDocumentTitle}
                <span className="muted">
                  , {question.expectedPage === null ? "any page" : `page ${question.expectedPage}`}
                </span>
                {!question.isDocumentPresent && (
                  <span className="state state-failed deleted-mark">deleted</span>
                )}
              </td>
              <td>
                <ResultCell question={question} k={k} depth={depth} onOpen={setOpen} />
              </td>
              {canCurate && (
                <td className="actions">
                  <button
                    type="button"
                    className="secondary small-button"
                    disabled={isBusy}
                    onClick={() => onEdit(question)}
                    data-edit-question={question.id}
                    data-testid="golden-edit"
                  >
                    Edit<span className="sr-only"> “{question.question}”</span>
                  </button>
                  <button
                    type="button"
                    className="danger-outline small-button"
                    disabled={isBusy}
                    onClick={() => onDelete(question)}
                    data-testid="golden-delete"
                  >
                    Delete<span className="sr-only"> “{question.question}”</span>
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <ModalDialog
        isOpen={open !== null}
        title={open ? `${open.title}, ${pageNameOf(open)}` : ""}
        onClose={() => setOpen(null)}
        testId="golden-page-dialog"
      >
        {open && (
          <PageView
            documentId={open.documentId}
            versionId={open.versionId}
            pageNumber={open.pageNumber}
            pageLabel={open.pageLabel}
            documentTitle={open.title}
            box={open.box}
          />
        )}
        <div className="modal-actions">
          <button type="button" className="secondary" onClick={() => setOpen(null)}>
            Close
          </button>
        </div>
      </ModalDialog>
    </>
  );
}
