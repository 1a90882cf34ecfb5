import type { Executor } from "../../db/client";
import { getVersionWithDocument } from "../../db/queries/documents";
import type { ContextReader } from "../answer/select-context";
import { chunkIdOf } from "../domain/chunk-id";
import type { VectorStore } from "../vector-store/vector-store";
import { type RetrievedPassage, servableDocuments, toPassage } from "./retrieve-context";

/**
 * Whole documents and neighbouring passages, read from the chunk store with the same checks as
 * retrieval: only the collections the asker may read, only the version a document serves.
 */
export function createContextReader(input: {
  db: Executor;
  store: VectorStore;
  collectionIds: readonly string[];
  /** A document with more passages than this is never considered whole. */
  maxWholeDocumentChunks: number;
}): ContextReader {
  const { db, store, collectionIds } = input;
  const passagesAt = async (
    versionId: string,
    chunkIndexes: readonly number[],
  ): Promise<RetrievedPassage[]> => {
    const ids = chunkIndexes.filter((index) => index >= 0).map((index) => chunkIdOf(versionId, index));
    if (ids.length === 0) return [];
    const chunks = await store.getChunks({ collectionIds, chunkIds: ids });
    const servable = await servableDocuments(db, collectionIds, chunks);
    return chunks
      .flatMap((chunk) => {
        const title = servable.get(chunk.id);
        return title === undefined ? [] : [toPassage(chunk, title, 0)];
      })
      .sort((a, b) => a.chunkIndex - b.chunkIndex);
  };
  return {
    passagesAt,
    wholeDocument: async (versionId) => {
      const found = await getVersionWithDocument({ db, versionId });
      const count = found?.version.chunkCount ?? 0;
      if (count === 0 || count > input.maxWholeDocumentChunks) return null;
      const passages = await passagesAt(
        versionId,
        Array.from({ length: count }, (_, index) => index),
      );
      return passages.length === count ? passages : null;
    },
  };
}
