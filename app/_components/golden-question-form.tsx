"use client";

import { type FormEvent, useEffect, useRef, useState } from "react";
import { type ApiProblem, asProblem, callApi } from "./api-client";
import {
  type AnswerableDocument,
  fetchPageLabels,
  type GoldenQuestionRow,
  type PageOption,
} from "./golden-data";

const maxQuestionLength = 2000;

/**
 * Adds a golden question, or edits `editing`: the question, the document of the collection that
 * should answer it and, optionally, its page. Editing moves focus to the question; saving or
 * cancelling hands it back through `onDone`.
 */
export function GoldenQuestionForm({
  collectionId,
  documents,
  editing,
  onDone,
  onProblem,
}: {
  collectionId: string;
  documents: readonly AnswerableDocument[];
  editing: GoldenQuestionRow | null;
  /** After a save (with the status to announce) or a cancel (null). */
  onDone: (status: string | null, savedId?: string) => void;
  onProblem: (problem: ApiProblem | null) => void;
}) {
  const [question, setQuestion] = useState("");
  const [documentId, setDocumentId] = useState("");
  const [page, setPage] = useState("");
  const [isBusy, setIsBusy] = useState(false);
  const questionRef = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (!editing) return;
    setQuestion(editing.question);
    setDocumentId(editing.expectedDocumentId);
    setPage(editing.expectedPage === null ? "" : String(editing.expectedPage));
    questionRef.current?.focus();
  }, [editing]);

  const chosen = documents.find((document) => document.documentId === documentId);
  const pageOptions = usePageOptions(chosen);
  const canSubmit = question.trim() !== "" && documentId !== "" && !isBusy;

  function reset() {
    setQuestion("");
    setDocumentId("");
    setPage("");
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!canSubmit) return;
    setIsBusy(true);
    onProblem(null);
    const body = { question, documentId, page: page === "" ? null : Number(page) };
    try {
      if (editing) {
        await callApi("PATCH", `/api/collections/${collectionId}/golden/questions/${editing.id}`, body);
        reset();
        onDone("Question saved.", editing.id);
      } else {
        const saved = await callApi<{ question: { id: string } }>(
          "POST",
          `/api/collections/${collectionId}/golden/questions`,
          body,
        );
        reset();
        onDone("Question added. Run the questions to measure it.", saved.question.id);
        questionRef.current?.focus();
      }
    } catch (error) {
      onProblem(asProblem(error));
    } finally {
      setIsBusy(false);
    }
  }

  const headingId = "golden-form-heading";
  return (
    <form onSubmit={submit} className="golden-form" aria-labelledby={headingId} data-testid="golden-form">
      <h3 id={headingId}>{editing ? "Edit the question" : "Add a question"}</h3>
      <div className="field">
        <label htmlFor="golden-question">Question</label>
        <textarea
          id="golden-question"
          ref={questionRef}
          rows={2}
          required
          maxLength={maxQuestionLength}
          value={question}
          onChange={(event) => setQuestion(event.target.value)}
          aria-describedby="golden-question-hint"
          data-testid="golden-question"
        />
        <p id="golden-question-hint" className="hint">
          Ask it the way a colleague would. Folio searches this collection with it exactly as it does for
          answers.
        </p>
      </div>
      <div className="row-form">
        <div className="field grow">
          <label htmlFor="golden-document">Document that should answer it</label>
          <select
            id="golden-document"
            required
            value={documentId}
            onChange={(event) => {
              setDocumentId(event.target.value);
              setPage("");
            }}
            data-testid="golden-document"
          >
            <option value="">Choose a document…</option>
            {editing && !documents.some((document) => document.documentId === editing.expectedDocumentId) && (
              <option value={editing.expectedDocumentId} disabled>
                {editing.expectedDocumentTitle} (deleted)
              </option>
            )}
            {documents.map((document) => (
              <option key={document.documentId} value={document.documentId}>
                {document.title}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="golden-page">Page</label>
          <select
            id="golden-page"
            value={page}
            onChange={(event) => setPage(event.target.value)}
            disabled={!chosen}
            data-testid="golden-page"
          >
            <option value="">Any page</option>
            {pageOptions.map(({ pageNumber, label }) => (
              <option key={pageNumber} value={pageNumber}>
                {label === null ? pageNumber : `${pageNumber} · ${label}`}
              </option>
            ))}
          </select>
        </div>
      </div>
      {documents.length === 0 && (
        <p className="hint" data-testid="golden-no-documents">
          Only indexed documents can be chosen; upload one on the Documents page first.
        </p>
      )}
      <div className="golden-form-actions">
        <button type="submit" disabled={!canSubmit} data-testid="golden-save">
          {isBusy ? "Saving…" : editing ? "Save question" : "Add question"}
        </button>
        {editing && (
          <button
            type="button"
            className="secondary"
            onClick={() => {
              reset();
              onDone(null, editing.id);
            }}
            data-testid="golden-cancel"
          >
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

/**
 * The chosen document's pages, numbered at once and labelled ("2 · Slide 2: Results", "3 · Sheet:
 * Revenue") once its labels arrive. The number leads, so typing it still picks the page.
 */
function usePageOptions(chosen: AnswerableDocument | undefined): PageOption[] {
  const [labelled, setLabelled] = useState<{ documentId: string; pages: PageOption[] } | null>(null);
  const documentId = chosen?.documentId;
  useEffect(() => {
    if (!documentId) return;
    let isCurrent = true;
    fetchPageLabels(documentId)
      .then((pages) => {
        if (isCurrent) setLabelled({ documentId, pages });
      })
      // Without labels the picker still lists the page numbers.
      .catch(() => {});
    return () => {
      isCurrent = false;
    };
  }, [documentId]);
  if (!chosen) return [];
  if (labelled?.documentId === chosen.documentId) return labelled.pages;
  return Array.from({ length: chosen.pageCount ?? 0 }, (_, index) => ({
    pageNumber: index + 1,
    label: null,
  }));
}
