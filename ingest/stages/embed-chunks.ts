import type { Embedder } from "../../lib/embeddings/embedder";
import { passageTextOf } from "../../lib/text/passage-text";
import type { DraftChunk } from "./chunk-pages";

/** What the embedder sees of a chunk: its heading path, then its text (the reranker reads the same). */
export const embeddingTextOf: (chunk: Pick<DraftChunk, "headingPath" | "text">) => string = passageTextOf;

/**
 * One vector per chunk, in order. All in one call: the embedder sorts them by length and pads
 * each of its batches only to that batch's longest, so the more it is given, the less it pads.
 */
export function embedChunks(chunks: readonly DraftChunk[], embedder: Embedder): Promise<Float32Array[]> {
  return embedder.embed(chunks.map(embeddingTextOf), "document");
}
