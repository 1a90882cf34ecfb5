/**
 * Rescores retrieval candidates against the question, e.g. a cross-encoder that reads the question
 * and one passage together (RERANK_MODEL). Adapters enforce their own limits (input length, batch
 * size) and never read env.
 */
export interface Reranker {
  /** Stable identity of the model, e.g. `onnx:ms-marco-MiniLM-L-6-v2`. Recorded with every answer it ranked. */
  readonly id: string;
  /**
   * One score per passage, in the order given: higher is more relevant to `query`. The scale is
   * the model's own (a logit), comparable only within one call.
   */
  score(query: string, passages: readonly string[]): Promise<number[]>;
  dispose(): Promise<void>;
}
