/** Queries and documents may be embedded differently (e.g. an instruction prefix for queries). */
export type EmbeddingKind = "query" | "document";

/**
 * A sentence-embedding model. Vectors are L2-normalised, so a dot product is a cosine.
 * Adapters enforce their own limits (input length, batch size) and never read env.
 */
export interface Embedder {
  /** Stable identity of the model, e.g. `onnx:bge-small-en-v1.5`. Recorded with every chunk. */
  readonly id: string;
  /** Length of every vector this embedder returns. */
  readonly dims: number;
  /** Longest input the model attends to, in its own tokens; longer inputs are truncated. */
  readonly maxInputTokens: number;
  /** Tokens `text` occupies for this model (special tokens excluded). Used to size chunks. */
  countTokens(text: string): number;
  embed(texts: string[], kind: EmbeddingKind): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}
