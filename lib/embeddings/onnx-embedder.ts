import path from "node:path";
import type { Tokenizer } from "@huggingface/tokenizers";
import type * as ort from "onnxruntime-node";
import { AppError, isAppError } from "../errors";
import type { Embedder, EmbeddingKind } from "./embedder";
import { encoderFeeds, runByLength, SerialQueue } from "./encoder-runs";
import { type ModelFiles, modelLoadFailed, openCpuSession, readModelFiles } from "./model-directory";

export interface OnnxEmbedderOptions {
  /** A model directory in the layout described in `model-directory.ts`. */
  modelDir: string;
  /** onnxruntime intra-op threads (CPU execution provider); use the number of cores. */
  threads: number;
  /** Texts per session run; longer lists are split. @default 32 */
  batchSize?: number;
  /** @default `onnx:<basename of modelDir>` */
  id?: string;
}

const supportedInputs = new Set(["input_ids", "attention_mask", "token_type_ids", "position_ids"]);

/** The special tokens the tokenizer puts around one sequence, e.g. `[CLS]` … `[SEP]`. */
interface SpecialTokenTemplate {
  prefixIds: number[];
  suffixIds: number[];
}

/** Finds which ids the tokenizer adds around a sequence by encoding a probe with and without them. */
function findSpecialTokenTemplate(tokenizer: Tokenizer): SpecialTokenTemplate {
  const probe = "hello world";
  const withSpecialTokens = tokenizer.encode(probe).ids;
  const content = tokenizer.encode(probe, { add_special_tokens: false }).ids;
  for (let offset = 0; offset + content.length <= withSpecialTokens.length; offset++) {
    if (content.every((id, index) => withSpecialTokens[offset + index] === id)) {
      return {
        prefixIds: withSpecialTokens.slice(0, offset),
        suffixIds: withSpecialTokens.slice(offset + content.length),
      };
    }
  }
  throw modelLoadFailed("The tokenizer's special tokens could not be located around a sequence");
}

function normalize(vector: Float32Array): Float32Array {
  let sumOfSquares = 0;
  for (const value of vector) sumOfSquares += value * value;
  const norm = Math.max(Math.sqrt(sumOfSquares), 1e-12);
  for (let index = 0; index < vector.length; index++) vector[index] = (vector[index] ?? 0) / norm;
  return vector;
}

/** A sentence embedder running an ONNX graph on onnxruntime's CPU execution provider. */
export class OnnxEmbedder implements Embedder {
  readonly id: string;
  readonly dims: number;
  /**
   * Tokens of document text (as `countTokens` counts them) that fit without truncation: the
   * model's sequence length minus the special tokens and the document prompt. Queries get the
   * same budget minus the difference between the query and document prompts.
   */
  readonly maxInputTokens: number;
  /** The model's limit including special tokens and prompt (`max_seq_length`). */
  readonly maxSequenceLength: number;

  private readonly session: ort.InferenceSession;
  private readonly files: ModelFiles;
  private readonly template: SpecialTokenTemplate;
  private readonly outputName: string;
  private readonly batchSize: number;
  private readonly promptTokenCounts: Record<EmbeddingKind, number>;
  private readonly runs = new SerialQueue();
  private isDisposed = false;

  private constructor(
    options: OnnxEmbedderOptions,
    session: ort.InferenceSession,
    files: ModelFiles,
    template: SpecialTokenTemplate,
    outputName: string,
    dims: number,
  ) {
    this.id = options.id ?? `onnx:${path.basename(path.resolve(options.modelDir))}`;
    this.session = session;
    this.files = files;
    this.template = template;
    this.outputName = outputName;
    this.batchSize = Math.max(1, options.batchSize ?? 32);
    this.dims = dims;
    this.maxSequenceLength = files.maxSequenceLength;
    this.promptTokenCounts = {
      query: this.countTokens(files.prompts.query),
      document: this.countTokens(files.prompts.document),
    };
    this.maxInputTokens = Math.max(
      1,
      files.maxSequenceLength -
        template.prefixIds.length -
        template.suffixIds.length -
        this.promptTokenCounts.document,
    );
  }

  static async create(options: OnnxEmbedderOptions): Promise<OnnxEmbedder> {
    const files = await readModelFiles(options.modelDir);
    const template = findSpecialTokenTemplate(files.tokenizer);
    if (files.maxSequenceLength <= template.prefixIds.length + template.suffixIds.length) {
      throw modelLoadFailed(`Sequence length ${files.maxSequenceLength} leaves no room for text`);
    }

    const session = await openCpuSession(files.graphPath, options.threads);

    try {
      const unsupported = session.inputNames.filter((name) => !supportedInputs.has(name));
      if (unsupported.length > 0 || !session.inputNames.includes("input_ids")) {
        throw modelLoadFailed(
          `ONNX graph ${files.graphPath} takes inputs [${session.inputNames.join(", ")}]; an embedding graph takes input_ids, attention_mask and optionally token_type_ids, position_ids`,
        );
      }
      const outputName = session.outputNames.includes("sentence_embedding")
        ? "sentence_embedding"
        : session.outputNames.includes("last_hidden_state")
          ? "last_hidden_state"
          : session.outputNames[0];
      if (outputName === undefined) throw modelLoadFailed(`ONNX graph ${files.graphPath} has no outputs`);
      if (outputName !== "sentence_embedding" && files.hasDenseModules) {
        // Pooling alone would give vectors from a different space than the model was trained for.
        throw modelLoadFailed(
          `Model in ${options.modelDir} has Dense layers after pooling but its ONNX graph has no sentence_embedding output`,
        );
      }
      // A one-text probe gives the vector length and proves the graph runs before any real work.
      const embedder = new OnnxEmbedder(options, session, files, template, outputName, 0);
      const [probe] = await embedder.runBatch([[...template.prefixIds, ...template.suffixIds]], "document");
      if (!probe || probe.length === 0)
        throw modelLoadFailed(`ONNX graph ${files.graphPath} returned no vector`);
      return new OnnxEmbedder(options, session, files, template, outputName, probe.length);
    } catch (error) {
      await session.release().catch(() => undefined);
      if (isAppError(error)) throw error;
      throw modelLoadFailed(
        `ONNX graph ${files.graphPath} failed its first run: ${(error as Error).message}`,
        error,
      );
    }
  }

  countTokens(text: string): number {
    if (text.length === 0) return 0;
    return this.files.tokenizer.encode(text, { add_special_tokens: false }).ids.length;
  }

  async embed(texts: string[], kind: EmbeddingKind): Promise<Float32Array[]> {
    if (this.isDisposed) {
      throw new AppError("unavailable:embedder_disposed", {
        message: "The embedder was disposed",
      });
    }
    if (texts.length === 0) return [];
    const sequences = texts.map((text) => this.tokenize(text, kind));
    return runByLength(
      sequences,
      (sequence) => sequence.length,
      this.batchSize,
      (batch) => this.runs.run(() => this.runBatch(batch, kind)),
    );
  }

  async dispose(): Promise<void> {
    if (this.isDisposed) return;
    this.isDisposed = true;
    await this.runs.idle();
    await this.session.release();
  }

  /** Prompt + text as ids with special tokens, truncated to the model's limit (specials kept). */
  private tokenize(text: string, kind: EmbeddingKind): number[] {
    const { prefixIds, suffixIds } = this.template;
    const contentIds = this.files.tokenizer.encode(this.files.prompts[kind] + text, {
      add_special_tokens: false,
    }).ids;
    const room = this.files.maxSequenceLength - prefixIds.length - suffixIds.length;
    return [...prefixIds, ...contentIds.slice(0, room), ...suffixIds];
  }

  private async runBatch(sequences: number[][], kind: EmbeddingKind): Promise<Float32Array[]> {
    const sequenceLength = Math.max(...sequences.map((sequence) => sequence.length));
    const feeds = encoderFeeds(
      this.session.inputNames,
      sequences.map((ids) => ({ ids })),
      this.files.padTokenId,
    );

    const results = await this.session.run(feeds, [this.outputName]);
    const output = results[this.outputName];
    if (output?.type !== "float32") {
      throw modelLoadFailed(
        `ONNX output ${this.outputName} is ${output?.type ?? "missing"}, expected float32`,
      );
    }
    const data = output.data as Float32Array;
    const lengths = sequences.map((sequence) => sequence.length);
    if (output.dims.length === 2) {
      const dims = output.dims[1] ?? 0;
      return lengths.map((_, row) => normalize(data.slice(row * dims, (row + 1) * dims)));
    }
    if (output.dims.length !== 3) {
      throw modelLoadFailed(`ONNX output ${this.outputName} has shape [${output.dims.join(", ")}]`);
    }
    return this.pool(data, output.dims[2] ?? 0, sequenceLength, lengths, kind);
  }

  /** sentence-transformers pooling over `[batch, sequence, dims]` token states. */
  private pool(
    hidden: Float32Array,
    dims: number,
    sequenceLength: number,
    lengths: number[],
    kind: EmbeddingKind,
  ): Float32Array[] {
    const { pooling, includePrompt } = this.files;
    // With include_prompt false the prompt's tokens (right after the prefix specials) are not averaged.
    const skipStart = this.template.prefixIds.length;
    const skipEnd = includePrompt ? skipStart : skipStart + this.promptTokenCounts[kind];
    return lengths.map((length, row) => {
      const rowOffset = row * sequenceLength * dims;
      const tokenVector = (position: number) =>
        hidden.subarray(rowOffset + position * dims, rowOffset + (position + 1) * dims);
      if (pooling === "cls") return normalize(Float32Array.from(tokenVector(0)));
      if (pooling === "lasttoken") return normalize(Float32Array.from(tokenVector(length - 1)));
      const sum = new Float32Array(dims);
      let count = 0;
      for (let position = 0; position < length; position++) {
        if (position >= skipStart && position < skipEnd && skipEnd < length) continue;
        const vector = tokenVector(position);
        for (let dimension = 0; dimension < dims; dimension++)
          sum[dimension] = (sum[dimension] ?? 0) + (vector[dimension] ?? 0);
        count++;
      }
      for (let dimension = 0; dimension < dims; dimension++)
        sum[dimension] = (sum[dimension] ?? 0) / Math.max(count, 1);
      return normalize(sum);
    });
  }
}
