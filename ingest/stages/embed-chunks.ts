import type { Embedder } from "../../lib/embeddings/embedder";
import type { DraftChunk } from "./chunk-pages";

/** Texts per embed call: big enough to amortise a session run, small enough to report progress. */
const batchSize = 32;

/** One vector per chunk, in order. */
export async function embedChunks(
  chunks: readonly DraftChunk[],
  embedder: Embedder,
  onProgress?: (embedded: number, total: number) => void,
): Promise<Float32Array[]> {
  const vectors: Float32Array[] = [];
  for (let start = 0; start < chunks.length; start += batchSize) {
    const batch = chunks.slice(start, start + batchSize);
    vectors.push(
      ...(await embedder.embed(
        batch.map((chunk) => chunk.text),
        "document",
      )),
    );
    onProgress?.(vectors.length, chunks.length);
  }
  return vectors;
}
