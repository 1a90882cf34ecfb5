import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import * as ort from "onnxruntime-node";
import { z } from "zod";
import { AppError } from "../errors";
import type { EmbeddingKind } from "./embedder";

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

export type Pooling = "cls" | "mean" | "lasttoken";

const graphCandidates = [
  "onnx/model.onnx",
  "model.onnx",
  "onnx/model_quantized.onnx",
  "model_quantized.onnx",
];
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
export interface ModelFiles {
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

function modelMissing(message: string): AppError {
  return new AppError("unavailable:embedder_missing", {
    message,
  });
}

export function modelLoadFailed(message: string, cause?: unknown): AppError {
  return new AppError("unavailable:embedder_load_failed", {
    message,
    cause,
  });
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

export async function readModelFiles(modelDir: string): Promise<ModelFiles> {
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

/** An ONNX graph on the CPU, one operator at a time on `threads` threads; a graph that does not load is `modelLoadFailed`. */
export async function openCpuSession(graphPath: string, threads: number): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(graphPath, {
      executionProviders: ["cpu"],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
    });
  } catch (error) {
    throw modelLoadFailed(`ONNX graph ${graphPath} could not be loaded: ${(error as Error).message}`, error);
  }
}
