import type { Reranker } from "../retrieval/reranker";
import { modelLoadFailed } from "./model-directory";
import { OnnxCrossEncoder, type OnnxCrossEncoderOptions } from "./onnx-cross-encoder";

/**
 * A relevance cross-encoder (one logit a pair, e.g. cross-encoder/ms-marco-MiniLM-L6-v2 or
 * BAAI/bge-reranker-base) as a Reranker: the question and each passage are read together as
 * `[CLS] question [SEP] passage [SEP]` (or the model's own pair template), the passage cut first
 * when the pair is too long, and the logit is the score.
 */
export class OnnxReranker implements Reranker {
  readonly id: string;

  private constructor(private readonly encoder: OnnxCrossEncoder) {
    this.id = encoder.id;
  }

  static async create(options: OnnxCrossEncoderOptions): Promise<OnnxReranker> {
    const encoder = await OnnxCrossEncoder.create(options);
    if (encoder.labelCount !== 1) {
      await encoder.dispose();
      throw modelLoadFailed(
        `${options.modelDir} is a cross-encoder with ${encoder.labelCount} labels (an NLI model?); a reranker gives one relevance logit`,
      );
    }
    return new OnnxReranker(encoder);
  }

  async score(query: string, passages: readonly string[]): Promise<number[]> {
    const logits = await this.encoder.logits(passages.map((passage) => [query, passage] as const));
    return logits.map(([logit]) => logit ?? Number.NEGATIVE_INFINITY);
  }

  dispose(): Promise<void> {
    return this.encoder.dispose();
  }
}
