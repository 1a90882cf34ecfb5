import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import * as ort from "onnxruntime-node";
import { z } from "zod";
import { AppError, isAppError } from "../errors";
import type { Embedder, EmbeddingKind } from "./embedder";

/*
 * Model directory layout (the Hugging Face / sentence-transformers one, so Hub repositories work
 * unchanged):
 *
 *   onnx/model.onnx            graph (fallbacks: model.onnx, onnx/model_quantized.onnx, model_quantized.onnx);
 *                              external weights (`model.onnx_data`) are found next to it by onnxruntime
 *   tokenizer.json             required; read by @huggingface/tokenizers
 *   tokenizer_config.json      optional; `model_max_length`, `pad_token`
 *   sentence_bert_config.json  optional; `max_seq_length` (wins over model_max_length)
 *   config_sentence_transformers.json  optional; `prompts.query` and `prompts.document` (or `passage`)
 *   modules.json + 1_Pooling/config.json  optional; pooling when the graph has no `sentence_embedding`
 *   folio-embedding.json       optional Folio override, for what the standard files cannot say —
 *                              e.g. bge's query instruction or EmbeddingGemma's prompts, which their
 *                              ONNX repositories do not ship:
 *                              { "prompts": { "query": "…", "document": "…" },
 *                                "pooling": "cls" | "mean" | "lasttoken", "maxSequenceLength": 512 }
 */

export interface OnnxEmbedderOptions {
  /** A directory in the layout above. */
  modelDir: string;
  /** onnxruntime intra-op threads (CPU execution provider); use the number of cores. */
  threads: number;
  /** Texts per session run; longer lists are split. @default 32 */
  batchSize?: number;
  /** @default `onnx:<basename of modelDir>` */
  id?: string;
}

type Pooling = "cls" | "mean" | "lasttoken";

const graphCandidates = [
  "onnx/model.onnx",
  "model.onnx",
  "onnx/model_quantized.onnx",
  "model_quantized.onnx",
];
const supportedInputs = new Set(["input_ids", "attention_mask", "token_type_ids", "position_ids"]);
const defaultMaxSequenceLength = 512;
/** `model_max_length` above this is a "no limit" sentinel (transformers writes 1e30). */
const largestPlausibleSequenceLength = 1_000_000;

const tokenizerConfigSchema = z.record(z.string(), z.unknown());
const sentenceBertConfigSchema = z.object({ max_seq_length: z.number().int().positive().optional() });
const sentenceTransformersConfigSchema = z.object({ prompts: z.record(z.string(), z.string()).optional() });
const modulesSchema = z.array(z.object({ path: z.string(), type: z.string() }));
const poolingConfigSchema = z.object({
  pooling_mode_cls_token: z.boolean().optional(),
  pooling_mode_mean_tokens: z.boolean().optional(),
  pooling_mode_max_tokens: z.boolean().optional(),
  pooling_mode_mean_sqrt_len_tokens: z.boolean().optional(),
  pooling_mode_weightedmean_tokens: z.boolean().optional(),
  pooling_mode_lasttoken: z.boolean().optional(),
  include_prompt: z.boolean().optional(),
});
const folioOverrideSchema = z
  .object({
    prompts: z.object({ query: z.string().optional(), document: z.string().optional() }).strict().optional(),
    pooling: z.enum(["cls", "mean", "lasttoken"]).optional(),
    maxSequenceLength: z.number().int().positive().optional(),
  })
  .strict();

/** Everything read from the model directory before a session exists. */
interface ModelFiles {
  graphPath: string;
  tokenizer: Tokenizer;
  padTokenId: number;
  maxSequenceLength: number;
  prompts: Record<EmbeddingKind, string>;
  pooling: Pooling;
  includePrompt: boolean;
  /** sentence-transformers Dense modules after pooling: only an in-graph `sentence_embedding` has them. */
  hasDenseModules: boolean;
}

/** The special tokens the tokenizer puts around one sequence, e.g. `[CLS]` … `[SEP]`. */
interface SpecialTokenTemplate {
  prefixIds: number[];
  suffixIds: number[];
}

function modelMissing(message: string): AppError {
  return new AppError("model_missing:embedder", { category: "unavailable", message });
}

function modelLoadFailed(message: string, cause?: unknown): AppError {
  return new AppError("model_load_failed:embedder", { category: "unavailable", message, cause });
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() ?? false;
}

/** Reads and validates a JSON file; `undefined` when it does not exist. */
async function readJsonFile<Schema extends z.ZodType>(
  file: string,
  schema: Schema,
): Promise<z.infer<Schema> | undefined> {
  if (!(await isFile(file))) return undefined;
  try {
    return schema.parse(JSON.parse(await readFile(file, "utf8")));
  } catch (error) {
    throw modelLoadFailed(`Embedding model file ${file} is not valid: ${(error as Error).message}`, error);
  }
}

async function findGraph(modelDir: string): Promise<string> {
  for (const candidate of graphCandidates) {
    const file = path.join(/*turbopackIgnore: true*/ modelDir, candidate);
    if (await isFile(file)) return file;
  }
  throw modelMissing(
    `Embedding model in ${modelDir} has no ONNX graph (looked for ${graphCandidates.join(", ")})`,
  );
}

function choosePooling(config: z.infer<typeof poolingConfigSchema> | undefined, file: string): Pooling {
  if (!config) return "mean";
  const unsupported = (["max_tokens", "mean_sqrt_len_tokens", "weightedmean_tokens"] as const).filter(
    (mode) => config[`pooling_mode_${mode}`] === true,
  );
  if (unsupported.length > 0) {
    throw modelLoadFailed(`Pooling mode ${unsupported.join(", ")} in ${file} is not supported`);
  }
  if (config.pooling_mode_cls_token) return "cls";
  if (config.pooling_mode_lasttoken) return "lasttoken";
  return "mean";
}

function findPadTokenId(tokenizer: Tokenizer, tokenizerConfig: Record<string, unknown>): number {
  const padToken = tokenizerConfig.pad_token;
  const padContent =
    typeof padToken === "string"
      ? padToken
      : typeof padToken === "object" && padToken !== null && "content" in padToken
        ? String(padToken.content)
        : undefined;
  for (const candidate of [padContent, "[PAD]", "<pad>"]) {
    const id = candidate === undefined ? undefined : tokenizer.token_to_id(candidate);
    if (id !== undefined) return id;
  }
  // Padding positions are masked out, so any id works when the model names no pad token.
  return 0;
}

async function readModelFiles(modelDir: string): Promise<ModelFiles> {
  const directory = await stat(modelDir).catch(() => undefined);
  if (!directory?.isDirectory()) throw modelMissing(`Embedding model directory ${modelDir} does not exist`);

  const graphPath = await findGraph(modelDir);
  const tokenizerFile = path.join(modelDir, "tokenizer.json");
  if (!(await isFile(tokenizerFile)))
    throw modelMissing(`Embedding model in ${modelDir} has no tokenizer.json`);
  const tokenizerJson = await readJsonFile(tokenizerFile, z.record(z.string(), z.unknown()));
  const tokenizerConfig =
    (await readJsonFile(path.join(modelDir, "tokenizer_config.json"), tokenizerConfigSchema)) ?? {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokenizerJson ?? {}, tokenizerConfig);
  } catch (error) {
    throw modelLoadFailed(
      `Tokenizer ${tokenizerFile} could not be loaded: ${(error as Error).message}`,
      error,
    );
  }

  const sentenceBertConfig = await readJsonFile(
    path.join(modelDir, "sentence_bert_config.json"),
    sentenceBertConfigSchema,
  );
  const stConfig = await readJsonFile(
    path.join(modelDir, "config_sentence_transformers.json"),
    sentenceTransformersConfigSchema,
  );
  const modules = (await readJsonFile(path.join(modelDir, "modules.json"), modulesSchema)) ?? [];
  const poolingDirectory = modules.find((module) => module.type.endsWith("Pooling"))?.path ?? "1_Pooling";
  const poolingFile = path.join(modelDir, poolingDirectory, "config.json");
  const poolingConfig = await readJsonFile(poolingFile, poolingConfigSchema);
  const override = await readJsonFile(path.join(modelDir, "folio-embedding.json"), folioOverrideSchema);

  const modelMaxLength = tokenizerConfig.model_max_length;
  const plausibleModelMaxLength =
    typeof modelMaxLength === "number" &&
    modelMaxLength > 0 &&
    modelMaxLength <= largestPlausibleSequenceLength
      ? Math.floor(modelMaxLength)
      : undefined;
  const prompts = stConfig?.prompts ?? {};

  return {
    graphPath,
    tokenizer,
    padTokenId: findPadTokenId(tokenizer, tokenizerConfig),
    maxSequenceLength:
      override?.maxSequenceLength ??
      sentenceBertConfig?.max_seq_length ??
      plausibleModelMaxLength ??
      defaultMaxSequenceLength,
    prompts: {
      query: override?.prompts?.query ?? prompts.query ?? "",
      document: override?.prompts?.document ?? prompts.document ?? prompts.passage ?? "",
    },
    pooling: override?.pooling ?? choosePooling(poolingConfig, poolingFile),
    includePrompt: poolingConfig?.include_prompt ?? true,
    hasDenseModules: modules.some((module) => module.type.endsWith("Dense")),
  };
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
  /** Session runs are serialised: concurrent runs only fight over the same cores and memory. */
  private queue: Promise<unknown> = Promise.resolve();
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

    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(files.graphPath, {
        executionProviders: ["cpu"],
        intraOpNumThreads: options.threads,
        interOpNumThreads: 1,
        executionMode: "sequential",
        graphOptimizationLevel: "all",
      });
    } catch (error) {
      throw modelLoadFailed(
        `ONNX graph ${files.graphPath} could not be loaded: ${(error as Error).message}`,
        error,
      );
    }

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
      throw new AppError("model_disposed:embedder", {
        category: "unavailable",
        message: "The embedder was disposed",
      });
    }
    if (texts.length === 0) return [];
    const sequences = texts.map((text) => this.tokenize(text, kind));
    // Batching texts of similar length keeps padding (wasted compute) small.
    const order = sequences
      .map((_, index) => index)
      .sort((a, b) => (sequences[a]?.length ?? 0) - (sequences[b]?.length ?? 0));
    const vectors = new Array<Float32Array>(texts.length);
    for (let start = 0; start < order.length; start += this.batchSize) {
      const batchIndices = order.slice(start, start + this.batchSize);
      const batch = batchIndices.map((index) => sequences[index] ?? []);
      const batchVectors = await this.runExclusive(() => this.runBatch(batch, kind));
      batchIndices.forEach((originalIndex, position) => {
        const vector = batchVectors[position];
        if (vector) vectors[originalIndex] = vector;
      });
    }
    return vectors;
  }

  async dispose(): Promise<void> {
    if (this.isDisposed) return;
    this.isDisposed = true;
    await this.queue.catch(() => undefined);
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

  private runExclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async runBatch(sequences: number[][], kind: EmbeddingKind): Promise<Float32Array[]> {
    const batchSize = sequences.length;
    const sequenceLength = Math.max(...sequences.map((sequence) => sequence.length));
    const size = batchSize * sequenceLength;
    const inputIds = new BigInt64Array(size).fill(BigInt(this.files.padTokenId));
    const attentionMask = new BigInt64Array(size);
    const positionIds = new BigInt64Array(size);
    sequences.forEach((sequence, row) => {
      sequence.forEach((id, column) => {
        inputIds[row * sequenceLength + column] = BigInt(id);
        attentionMask[row * sequenceLength + column] = 1n;
      });
      for (let column = 0; column < sequenceLength; column++)
        positionIds[row * sequenceLength + column] = BigInt(column);
    });

    const shape = [batchSize, sequenceLength];
    const tensors: Record<string, BigInt64Array> = {
      input_ids: inputIds,
      attention_mask: attentionMask,
      token_type_ids: new BigInt64Array(size),
      position_ids: positionIds,
    };
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.session.inputNames) {
      const data = tensors[name];
      if (data) feeds[name] = new ort.Tensor("int64", data, shape);
    }

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
