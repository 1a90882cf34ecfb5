import type { Database, Executor } from "../../db/client";
import { getDocumentsByIds } from "../../db/queries/documents";
import type { SourceRef } from "../domain/answer-events";
import type { Embedder } from "../embeddings/embedder";
import { getLogger } from "../observability/log";
import { passageTextOf } from "../text/passage-text";
import type { SearchMode, StoredChunk, VectorStore } from "../vector-store/vector-store";
import type { Reranker } from "./reranker";

export interface RetrievalRequest {
  question: string;
  /** The collections the asker may read, decided by the caller from the session. Required. */
  collectionIds: readonly string[];
  limit: number;
  mode?: SearchMode;
}

export interface RetrievalDependencies {
  db: Database;
  store: VectorStore;
  embedder: Embedder;
  /** Rescores the store's best candidates against the question (RERANK_MODEL); null or absent: the store's order. */
  reranker?: Reranker | null;
  /** Hits fetched and rescored when there is a reranker (RERANK_CANDIDATES). @default 20 */
  rerankCandidates?: number;
}

/** RERANK_CANDIDATES' default. */
export const defaultRerankCandidates = 20;

export type RetrievedPassage = Omit<SourceRef, "n" | "imageSha256"> & {
  score: number;
  /** Figure passages: the image's file name among the version's derived files. */
  figureFile: string | null;
  /** Its place in its document version, and the headings above it (for neighbours). */
  chunkIndex: number;
  headingPath: string[];
  /** The reranker's score when the passage was rescored: the list is then in this order, not `score`'s. */
  rerankScore?: number;
};

/**
 * Hybrid search restricted to `collectionIds`, best first, with each passage's document title.
 * Every hit is checked again against the database, not only the index: passages whose document
 * is gone (deleted meanwhile), lies outside the allowed collections, or whose version is not the
 * one the document currently serves are dropped.
 */
export async function retrieveContext(
  dependencies: RetrievalDependencies,
  request: RetrievalRequest,
): Promise<RetrievedPassage[]> {
  if (request.collectionIds.length === 0) return [];
  const [queryVector] = await dependencies.embedder.embed([request.question], "query");
  if (!queryVector) return [];
  const reranker = dependencies.reranker ?? null;
  const hits = await dependencies.store.search({
    collectionIds: request.collectionIds,
    queryText: request.question,
    queryVector,
    limit: reranker
      ? Math.max(request.limit, dependencies.rerankCandidates ?? defaultRerankCandidates)
      : request.limit,
    mode: request.mode,
  });
  const servable = await servableDocuments(
    dependencies.db,
    request.collectionIds,
    hits.map((hit) => hit.chunk),
  );
  const passages = hits.flatMap(({ chunk, score }) => {
    const documentTitle = servable.get(chunk.id);
    return documentTitle === undefined ? [] : [toPassage(chunk, documentTitle, score)];
  });
  return reranker ? rerankPassages(reranker, request.question, passages, request.limit) : passages;
}

/**
 * `passages` in the reranker's order, best first, cut to `limit`; each reads as its heading path
 * and text, as the embedder read it. They were checked against the database already, so only
 * passages the asker may read are ever scored. A reranker that fails leaves the store's order
 * (logged): reranking never fails a search.
 */
async function rerankPassages(
  reranker: Reranker,
  question: string,
  passages: RetrievedPassage[],
  limit: number,
): Promise<RetrievedPassage[]> {
  if (passages.length === 0) return passages;
  let scores: number[];
  try {
    scores = await reranker.score(question, passages.map(passageTextOf));
  } catch (error) {
    getLogger().error("[rerank] the reranker failed; keeping the search order", { error });
    return passages.slice(0, limit);
  }
  return passages
    .map((passage, index) => ({ ...passage, rerankScore: scores[index] ?? Number.NEGATIVE_INFINITY }))
    .sort((a, b) => b.rerankScore - a.rerankScore)
    .slice(0, limit);
}

export function toPassage(chunk: StoredChunk, documentTitle: string, score: number): RetrievedPassage {
  return {
    chunkId: chunk.id,
    documentId: chunk.documentId,
    versionId: chunk.versionId,
    documentTitle,
    pageNumber: chunk.pageNumber,
    pageLabel: chunk.pageLabel,
    box: chunk.box,
    kind: chunk.kind,
    text: chunk.text,
    contentHash: chunk.contentHash,
    score,
    figureFile: chunk.figureFile,
    chunkIndex: chunk.chunkIndex,
    headingPath: chunk.headingPath,
  };
}

/**
 * For each chunk that may be shown — its document still exists, lies in one of `collectionIds`,
 * and currently serves the chunk's version — the document's title, by chunk id.
 */
export async function servableDocuments(
  db: Executor,
  collectionIds: readonly string[],
  chunks: readonly Pick<StoredChunk, "id" | "documentId" | "versionId">[],
): Promise<Map<string, string>> {
  const allowed = new Set(collectionIds);
  const documents = await getDocumentsByIds({ db, ids: chunks.map((chunk) => chunk.documentId) });
  const byId = new Map(documents.map((document) => [document.id, document]));
  const servable = new Map<string, string>();
  for (const chunk of chunks) {
    const document = byId.get(chunk.documentId);
    if (document && allowed.has(document.collectionId) && document.currentVersionId === chunk.versionId) {
      servable.set(chunk.id, document.title);
    }
  }
  return servable;
}

/** Passages by chunk id, with the same checks as retrieval; unknown or unreadable ids are absent. */
export async function readPassages(
  dependencies: { db: Executor; store: VectorStore },
  collectionIds: readonly string[],
  chunkIds: readonly string[],
): Promise<RetrievedPassage[]> {
  if (collectionIds.length === 0 || chunkIds.length === 0) return [];
  const chunks = await dependencies.store.getChunks({ collectionIds, chunkIds });
  const servable = await servableDocuments(dependencies.db, collectionIds, chunks);
  const byId = new Map(chunks.map((chunk) => [chunk.id, chunk]));
  return chunkIds.flatMap((id) => {
    const chunk = byId.get(id);
    const title = chunk ? servable.get(chunk.id) : undefined;
    return chunk && title !== undefined ? [toPassage(chunk, title, 0)] : [];
  });
}
