import { callApi } from "./api-client";

/** The models a run retrieved with. */
export interface GoldenModelIds {
  embedder: string;
  reranker: string | null;
}

/** GET /api/collections/:id/golden, as JSON (dates are strings). */
export interface GoldenRunRow {
  id: string;
  trigger: "reindex" | "model_change" | "manual";
  state: "queued" | "running" | "done" | "failed";
  modelIds: GoldenModelIds | null;
  k: number | null;
  depth: number | null;
  questionCount: number | null;
  hitCount: number | null;
  recallAtK: number | null;
  recallAtDepth: number | null;
  isAlert: boolean;
  alertDrop: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: string;
  requestedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface GoldenQuestionRow {
  id: string;
  question: string;
  expectedDocumentId: string;
  expectedDocumentTitle: string;
  expectedPage: number | null;
  isDocumentPresent: boolean;
  latest?: {
    rank: number | null;
    chunkId: string | null;
    versionId: string | null;
    pageNumber: number | null;
    pageLabel?: string | null;
    box: [number, number, number, number] | null;
  };
}

export interface GoldenAlert {
  runId: string;
  trigger: GoldenRunRow["trigger"];
  k: number;
  recallAtK: number;
  previousRecallAtK: number | null;
  drop: number;
  lostQuestionIds: string[];
  modelIds: GoldenModelIds | null;
  previousModelIds: GoldenModelIds | null;
  finishedAt: string | null;
}

export interface GoldenPage {
  collection: { id: string; name: string; permission: "read" | "curate" };
  settings: { k: number; depth: number; alertDrop: number };
  questions: GoldenQuestionRow[];
  runs: GoldenRunRow[];
  pending: GoldenRunRow | null;
  latest: GoldenRunRow | null;
  alert: GoldenAlert | null;
}

/** A document a question can name: one with an indexed version, and its page count. */
export interface AnswerableDocument {
  documentId: string;
  title: string;
  pageCount: number | null;
}

export const triggerLabels: Record<GoldenRunRow["trigger"], string> = {
  reindex: "after re-indexing",
  model_change: "after a model change",
  manual: "run by hand",
};

/** 0.6667 → "67%". */
export function formatRecall(recall: number | null | undefined): string {
  return recall === null || recall === undefined ? "—" : `${Math.round(recall * 100)}%`;
}

export function formatModels(modelIds: GoldenModelIds | null): string {
  if (!modelIds) return "—";
  return modelIds.reranker ? `${modelIds.embedder}, reranked by ${modelIds.reranker}` : modelIds.embedder;
}

export async function fetchAnswerableDocuments(collectionId: string): Promise<AnswerableDocument[]> {
  const body = await callApi<{
    documents: { documentId: string; title: string; isCurrent: boolean; pageCount: number | null }[];
  }>("GET", `/api/collections/${collectionId}/documents`);
  return body.documents
    .filter((row) => row.isCurrent)
    .map((row) => ({ documentId: row.documentId, title: row.title, pageCount: row.pageCount }))
    .sort((a, b) => a.title.localeCompare(b.title));
}
