import type { Database } from "../../db/client";
import { getDocumentsByIds } from "../../db/queries/documents";
import type { SourceRef } from "../domain/answer-events";
import type { Embedder } from "../embeddings/embedder";
import type { SearchMode, VectorStore } from "../vector-store/vector-store";

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
}

export type RetrievedPassage = Omit<SourceRef, "n"> & { score: number };

/**
 * Hybrid search restricted to `collectionIds`, best first, with each passage's document title.
 * Passages whose document row is gone (deleted meanwhile) or lies outside the allowed
 * collections (checked again against the database, not only the index) are dropped.
 */
export async function retrieveContext(
  dependencies: RetrievalDependencies,
  request: RetrievalRequest,
): Promise<RetrievedPassage[]> {
  if (request.collectionIds.length === 0) return [];
  const [queryVector] = await dependencies.embedder.embed([request.question], "query");
  if (!queryVector) return [];
  const hits = await dependencies.store.search({
    collectionIds: request.collectionIds,
    queryText: request.question,
    queryVector,
    limit: request.limit,
    mode: request.mode,
  });
  const allowed = new Set(request.collectionIds);
  const documents = await getDocumentsByIds({
    db: dependencies.db,
    ids: hits.map((hit) => hit.chunk.documentId),
  });
  const titles = new Map(
    documents
      .filter((document) => allowed.has(document.collectionId))
      .map((document) => [document.id, document.title]),
  );
  return hits.flatMap(({ chunk, score }) => {
    const documentTitle = titles.get(chunk.documentId);
    if (documentTitle === undefined) return [];
    return [
      {
        chunkId: chunk.id,
        documentId: chunk.documentId,
        versionId: chunk.versionId,
        documentTitle,
        pageNumber: chunk.pageNumber,
        box: chunk.box,
        text: chunk.text,
        contentHash: chunk.contentHash,
        score,
      },
    ];
  });
}
