import type { Embedder } from "../../lib/embeddings/embedder";
import type { DraftChunk } from "./chunk-pages";

/** Texts per embed call: big enough to amortise a session run, small enough to report progress. */
const batchSize = 32;

/**
 * What the embedder sees of a chunk: its heading path, then its text, so a passage under
 * "Risk factors › Liquidity" is found by questions about liquidity risk.
 */
export function embeddingTextOf(chunk: Pick<DraftChunk, "headingPath" | "text">): string {
  return chunk.headingPath.length > 0 ? `${chunk.headingPath.join(" › ")}\n${chunk.text}` : chunk.text;
}

/** One vector per chunk, in order. */
export async function embedChunks(
  chunks: readonly DraftChunk[],
  embedder: Embedder,
  onProgress?: (embedded: number, total: number) => void,
): Promise<Float32Array[]> {
  const vectors: Float32Array[] = [];
  for (let start = 0; start < chunks.length; start += batchSize) {
    const batch = chunks.slice(start, start + batchSize);
    vectors.push(...(await embedder.embed(batch.map(embeddingTextOf), "document")));
    onProgress?.(vectors.length, chunks.length);
  }
  return vectors;
}
