"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { ActionFeedback } from "./action-feedback";
import { type ApiProblem, asProblem, callApi } from "./api-client";
import {
  type AnswerableDocument,
  fetchAnswerableDocuments,
  formatModels,
  formatRecall,
  type GoldenPage,
  type GoldenQuestionRow,
  type GoldenRunRow,
  triggerLabels,
} from "./golden-data";
import { GoldenQuestionForm } from "./golden-question-form";
import { GoldenQuestionTable } from "./golden-question-table";
import { formatDate } from "./labels";
import { ConfirmDialog } from "./modal-dialog";
import { RecallTrendChart } from "./recall-trend-chart";

function pendingText(run: GoldenRunRow): string {
  return run.state === "running"
    ? "Running the questions…"
    : `Queued (${triggerLabels[run.trigger]}): it runs once indexing in this collection has finished.`;
}

/**
 * The retrieval quality of one collection: its golden questions with what the latest run found,
 * recall@k and its trend, the alert when a change made it drop. Curators add, edit and delete
 * questions and run them; readers see the figures. Polls while a run is queued or running.
 */
export function QualityView({ collectionId }: { collectionId: string }) {
  const [data, setData] = useState<GoldenPage | null>(null);
  const [documents, setDocuments] = useState<AnswerableDocument[]>([]);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [status, setStatus] = useState("");
  const [editing, setEditing] = useState<GoldenQuestionRow | null>(null);
  const [deleting, setDeleting] = useState<GoldenQuestionRow | null>(null);
  const [isBusy, setIsBusy] = useState(false);
  const wasPending = useRef(false);

  const load = useCallback(async () => {
    try {
      const page = await callApi<GoldenPage>("GET", `/api/collections/${collectionId}/golden`);
      setData(page);
      if (wasPending.current && !page.pending && page.latest) {
        setStatus(`Run finished: recall@${page.latest.k} ${formatRecall(page.latest.recallAtK)}.`);
      }
      wasPending.current = page.pending !== null;
      if (page.collection.permission === "curate") setDocuments(await fetchAnswerableDocuments(collectionId));
    } catch (error) {
      setProblem(asProblem(error));
    }
  }, [collectionId]);

  useEffect(() => {
    void load();
  }, [load]);
  const isPending = data?.pending !== null && data?.pending !== undefined;
  useEffect(() => {
    if (!isPending) return;
    const timer = setInterval(() => void load(), 1500);
    return () => clearInterval(timer);
  }, [isPending, load]);

  async function runNow() {
    if (isBusy) return;
    setIsBusy(true);
    setProblem(null);
    try {
      await callApi("POST", `/api/collections/${collectionId}/golden/runs`);
      setStatus("Run queued.");
      await load();
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setIsBusy(false);
    }
  }

  async function remove(question: GoldenQuestionRow) {
    setIsBusy(true);
    setProblem(null);
    try {
      await callApi("DELETE", `/api/collections/${collectionId}/golden/questions/${question.id}`);
      setStatus("Question deleted.");
      setDeleting(null);
      await load();
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setIsBusy(false);
    }
  }

  if (!data) {
    return (
      <div className="page-stack">
        <ActionFeedback status={status} problem={problem} />
        {!problem && <p className="muted">Loading…</p>}
      </div>
    );
  }
  const { collection, settings, latest, pending, alert, questions } = data;
  const canCurate = collection.permission === "curate";
  const byId = new Map(questions.map((question) => [question.id, question]));
  return (
    <div className="page-stack quality-page">
      <p className="back-link small">
        <a href="/documents">← Documents</a>
      </p>
      <h1>Retrieval quality · {collection.name}</h1>
      <p className="muted intro">
        Golden questions name the document (and page) that should answer them. Folio asks them after every
        re-index and model change and counts how many find their document among the first {settings.k}{" "}
        passages it retrieves: recall@{settings.k}.
      </p>
      <ActionFeedback status={status} problem={problem} />
      {alert && (
        <div className="quality-alert" role="alert" data-testid="golden-alert">
          <strong>
            recall@{alert.k} dropped from {formatRecall(alert.previousRecallAtK)} to{" "}
            {formatRecall(alert.recallAtK)} {triggerLabels[alert.trigger]}
            {alert.finishedAt ? ` (${formatDate(alert.finishedAt)})` : ""}.
          </strong>
          {alert.lostQuestionIds.length > 0 && (
            <>
              <p>No longer found within the first {alert.k} passages:</p>
              <ul>
                {alert.lostQuestionIds.map((id) => (
                  <li key={id}>{byId.get(id)?.question ?? "a question deleted since"}</li>
                ))}
              </ul>
            </>
          )}
          {alert.previousModelIds &&
            formatModels(alert.previousModelIds) !== formatModels(alert.modelIds) && (
              <p>
                Models: {formatModels(alert.previousModelIds)} → {formatModels(alert.modelIds)}.
              </p>
            )}
        </div>
      )}
      <section className="panel quality-summary" aria-labelledby="latest-heading">
        <h2 id="latest-heading">Latest result</h2>
        {latest ? (
          <div className="recall-figures" data-testid="golden-latest">
            <p className="recall-figure">
              <span className="recall-value" data-testid="golden-recall">
                {formatRecall(latest.recallAtK)}
              </span>
              <span className="recall-label">
                recall@{latest.k}: {latest.hitCount} of {latest.questionCount} questions
              </span>
            </p>
            <p className="recall-figure secondary-figure">
              <span className="recall-value">{formatRecall(latest.recallAtDepth)}</span>
              <span className="recall-label">recall@{latest.depth}</span>
            </p>
            <p className="muted small run-facts">
              {latest.finishedAt ? formatDate(latest.finishedAt) : ""}, {triggerLabels[latest.trigger]}.
              Models: {formatModels(latest.modelIds)}.
            </p>
          </div>
        ) : (
          <p className="muted" data-testid="golden-never-run">
            {questions.length === 0
              ? "No golden questions yet."
              : "Not run yet: the questions run after the next re-index, or now."}
          </p>
        )}
        <div className="run-controls" aria-live="polite">
          {canCurate && (
            <button
              type="button"
              onClick={() => void runNow()}
              aria-disabled={questions.length === 0 || isBusy}
              className={questions.length === 0 || isBusy ? "is-disabled" : undefined}
              aria-describedby={questions.length === 0 ? "run-now-hint" : undefined}
              data-testid="golden-run-now"
            >
              Run now
            </button>
          )}
          {canCurate && questions.length === 0 && (
            <span id="run-now-hint" className="muted small">
              Add a question first.
            </span>
          )}
          {pending && (
            <span className="state state-running" data-testid="golden-pending" data-state={pending.state}>
              {pendingText(pending)}
            </span>
          )}
        </div>
      </section>
      <section className="panel" aria-labelledby="trend-heading">
        <h2 id="trend-heading">Trend</h2>
        <RecallTrendChart runs={data.runs} k={settings.k} depth={settings.depth} />
      </section>
      <section className="panel" aria-labelledby="questions-heading">
        <h2 id="questions-heading">Questions ({questions.length})</h2>
        <GoldenQuestionTable
          questions={questions}
          k={settings.k}
          depth={settings.depth}
          canCurate={canCurate}
          isBusy={isBusy}
          onEdit={setEditing}
          onDelete={setDeleting}
        />
        {canCurate && (
          <GoldenQuestionForm
            collectionId={collectionId}
            documents={documents}
            editing={editing}
            onProblem={setProblem}
            onDone={(done, savedId) => {
              const wasEditing = editing !== null;
              setEditing(null);
              if (done) setStatus(done);
              void load().then(() => {
                // Back to the row's Edit button after an edit or a cancel.
                if (wasEditing && savedId) {
                  document.querySelector<HTMLElement>(`[data-edit-question="${savedId}"]`)?.focus();
                }
              });
            }}
          />
        )}
        {!canCurate && (
          <p className="note" data-testid="golden-read-only">
            You can read this collection; its curators add and change the questions.
          </p>
        )}
      </section>
      <ConfirmDialog
        isOpen={deleting !== null}
        title="Delete this golden question?"
        confirmLabel="Delete question"
        isBusy={isBusy}
        onConfirm={() => deleting && void remove(deleting)}
        onCancel={() => setDeleting(null)}
      >
        <p>
          “{deleting?.question}” is no longer asked. Earlier runs keep what it found; it leaves the comparison
          from the next run on.
        </p>
      </ConfirmDialog>
    </div>
  );
}
