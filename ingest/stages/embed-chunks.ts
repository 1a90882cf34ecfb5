import type { Embedder } from "../../lib/embeddings/embedder";
import type { DraftChunk } from "./chunk-pages";

/**
 * What the embedder sees of a chunk: its heading path, then its text, so a passage under
 * "Risk factors › Liquidity" is found by questions about liquidity risk.
 */
export function embeddingTextOf(chunk: Pick<DraftChunk, "headingPath" | "text">): string {
  return chunk.headingPath.length > 0 ? `${chunk.headingPath.join(" › ")}\n${chunk.text}` : chunk.text;
}

/**
 * One vector per chunk, in order. All in one call: the embedder sorts them by length and pads
 * each of its batches only to that batch's longest, so the more it is given, the less it pads.
 */
export function embedChunks(chunks: readonly DraftChunk[], embedder: Embedder): Promise<Float32Array[]> {
  return embedder.embed(chunks.map(embeddingTextOf), "document");
}
