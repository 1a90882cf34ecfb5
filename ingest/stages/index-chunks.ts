import { chunkIdOf } from "../../lib/domain/chunk-id";
import { sha256Hex } from "../../lib/text/sha256-hex";
import type { ChunkWithVector, VectorStore } from "../../lib/vector-store/vector-store";
import type { DraftChunk } from "./chunk-pages";

export interface VersionIdentity {
  collectionId: string;
  documentId: string;
  versionId: string;
}

/** Writes the version's chunks in one commit, replacing whatever the document had before. */
export async function indexChunks(input: {
  store: VectorStore;
  version: VersionIdentity;
  embedderId: string;
  chunks: readonly DraftChunk[];
  vectors: readonly Float32Array[];
  /** Full-text search matches it with every chunk. */
  documentTitle?: string;
}): Promise<{ tableVersion: number }> {
  const rows: ChunkWithVector[] = input.chunks.map((chunk, index) => {
    const vector = input.vectors[index];
    if (!vector) throw new Error(`chunk ${index} has no vector`);
    return {
      id: chunkIdOf(input.version.versionId, chunk.chunkIndex),
      ...input.version,
      chunkIndex: chunk.chunkIndex,
      pageNumber: chunk.pageNumber,
      pageLabel: chunk.pageLabel,
      box: chunk.box,
      kind: chunk.kind,
      text: chunk.text,
      source: chunk.source,
      confidence: chunk.confidence,
      headingPath: chunk.headingPath,
      figureFile: chunk.figureFile,
      contentHash: sha256Hex(chunk.text),
      embedderId: input.embedderId,
      vector,
    };
  });
  return input.store.replaceDocumentChunks({
    documentId: input.version.documentId,
    versionId: input.version.versionId,
    chunks: rows,
    documentTitle: input.documentTitle,
  });
}
