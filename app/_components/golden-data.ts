import type { GoldenModelIds } from "../../db/schema";
import type { JsonShape } from "../../lib/domain/json-shape";
import type { GoldenOverview, GoldenQuestionView, GoldenRunSummary } from "../../lib/golden/golden-overview";
import { callApi } from "./api-client";

/** GET /api/collections/:id/golden, as JSON (dates are strings). */
export type GoldenPage = JsonShape<GoldenOverview> & {
  collection: { id: string; name: string; permission: "read" | "curate" };
};
export type GoldenRunRow = JsonShape<GoldenRunSummary>;
export type GoldenQuestionRow = JsonShape<GoldenQuestionView>;

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

/** A page a question can name, with what the document calls it (null for PDF and image pages). */
export interface PageOption {
  pageNumber: number;
  label: string | null;
}

export async function fetchPageLabels(documentId: string): Promise<PageOption[]> {
  const body = await callApi<{ pages: PageOption[] }>("GET", `/api/documents/${documentId}/pages`);
  return body.pages;
}
