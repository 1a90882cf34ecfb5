import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Tokenizer } from "@huggingface/tokenizers";
import * as ort from "onnxruntime-node";
import { z } from "zod";
import { AppError } from "../errors";
import { type ModelFiles, modelLoadFailed, openCpuSession, readModelFiles } from "./model-directory";

export interface OnnxCrossEncoderOptions {
  /** A model directory in Hugging Face layout (`onnx/model.onnx`, `tokenizer.json`, `config.json`). */
  modelDir: string;
  /** onnxruntime intra-op threads. */
  threads: number;
  /** @default `onnx:<basename of modelDir>` */
  id?: string;
}

/** One pair's scores: the premise (passage) and the hypothesis (claim). */
export interface PairScore {
  /** Probability the premise entails the hypothesis (NLI), or sigmoid of a one-logit cross-encoder. */
  entailment: number;
  /** Probability of contradiction; null for a one-logit cross-encoder, which has no such class. */
  contradiction: number | null;
}

const configSchema = z.object({ id2label: z.record(z.string(), z.string()).optional() }).passthrough();

/** A run of special tokens with their token_type_ids. */
interface Specials {
  ids: number[];
  types: number[];
}

/** Where the ids of a pair go: `[CLS] premise [SEP] hypothesis [SEP]`, `<s> a </s></s> b </s>`, … */
interface PairTemplate {
  prefix: Specials;
  middle: Specials;
  suffix: Specials;
  /** token_type_id of the premise's tokens and of the hypothesis's. */
  firstType: number;
  secondType: number;
}

function findPairTemplate(tokenizer: Tokenizer): PairTemplate {
  const first = tokenizer.encode("alpha", { add_special_tokens: false }).ids;
  const second = tokenizer.encode("omega", { add_special_tokens: false }).ids;
  const pair = tokenizer.encode("alpha", { text_pair: "omega", return_token_type_ids: true });
  const indexOf = (needle: number[], from: number) => {
    for (let offset = from; offset + needle.length <= pair.ids.length; offset++) {
      if (needle.every((id, index) => pair.ids[offset + index] === id)) return offset;
    }
    return -1;
  };
  const firstAt = indexOf(first, 0);
  const secondAt = firstAt < 0 ? -1 : indexOf(second, firstAt + first.length);
  if (firstAt < 0 || secondAt < 0) {
    throw modelLoadFailed("The cross-encoder's tokenizer does not place a text pair in one sequence");
  }
  const types = pair.token_type_ids ?? pair.ids.map(() => 0);
  const specials = (start: number, end?: number): Specials => ({
    ids: pair.ids.slice(start, end),
    types: types.slice(start, end),
  });
  return {
    prefix: specials(0, firstAt),
    middle: specials(firstAt + first.length, secondAt),
    suffix: specials(secondAt + second.length),
    firstType: types[firstAt] ?? 0,
    secondType: types[secondAt] ?? 0,
  };
}

function softmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((value) => Math.exp(value - max));
  const sum = exps.reduce((total, value) => total + value, 0);
  return exps.map((value) => value / sum);
}

/**
 * A cross-encoder run on onnxruntime's CPU provider: an NLI model (labels `entailment`,
 * `neutral`, `contradiction` in its config.json `id2label`, e.g. cross-encoder/nli-deberta-v3-xsmall)
 * or a one-logit relevance cross-encoder. Reads the same directory layout as the embedder.
 */
export class OnnxCrossEncoder {
  readonly id: string;
  private queue: Promise<unknown> = Promise.resolve();
  private isDisposed = false;

  private constructor(
    options: OnnxCrossEncoderOptions,
    private readonly session: ort.InferenceSession,
    private readonly files: ModelFiles,
    private readonly template: PairTemplate,
    private readonly labels: { entailment: number; contradiction: number | null; count: number },
  ) {
    this.id = options.id ?? `onnx:${path.basename(path.resolve(options.modelDir))}`;
  }

  static async create(options: OnnxCrossEncoderOptions): Promise<OnnxCrossEncoder> {
    const files = await readModelFiles(options.modelDir);
    const template = findPairTemplate(files.tokenizer);
    const labels = await readLabels(options.modelDir);
    const session = await openCpuSession(files.graphPath, options.threads);
    const encoder = new OnnxCrossEncoder(options, session, files, template, labels);
    try {
      const [probe] = await encoder.runBatch([encoder.encodePair("a", "a")]);
      if (!probe) throw new Error("no output");
    } catch (error) {
      await session.release().catch(() => undefined);
      throw modelLoadFailed(
        `Cross-encoder ${files.graphPath} failed its first run: ${(error as Error).message}`,
        error,
      );
    }
    return encoder;
  }

  /** Scores each (premise, hypothesis) pair; the premise is truncated to fit the model. */
  async score(pairs: ReadonlyArray<{ premise: string; hypothesis: string }>): Promise<PairScore[]> {
    if (this.isDisposed) {
      throw new AppError("unavailable:embedder_disposed", { message: "The cross-encoder was disposed" });
    }
    const scores: PairScore[] = [];
    for (const pair of pairs) {
      const sequence = this.encodePair(pair.premise, pair.hypothesis);
      const result = await this.runExclusive(() => this.runBatch([sequence]));
      const first = result[0];
      if (first) scores.push(first);
    }
    return scores;
  }

  async dispose(): Promise<void> {
    if (this.isDisposed) return;
    this.isDisposed = true;
    await this.queue.catch(() => undefined);
    await this.session.release();
  }

  private encodePair(premise: string, hypothesis: string): { ids: number[]; types: number[] } {
    const { prefix, middle, suffix, firstType, secondType } = this.template;
    const encode = (text: string) => this.files.tokenizer.encode(text, { add_special_tokens: false }).ids;
    const room = this.files.maxSequenceLength - prefix.ids.length - middle.ids.length - suffix.ids.length;
    const hypothesisIds = encode(hypothesis).slice(0, Math.max(1, Math.floor(room / 2)));
    const premiseIds = encode(premise).slice(0, Math.max(0, room - hypothesisIds.length));
    return {
      ids: [...prefix.ids, ...premiseIds, ...middle.ids, ...hypothesisIds, ...suffix.ids],
      types: [
        ...prefix.types,
        ...premiseIds.map(() => firstType),
        ...middle.types,
        ...hypothesisIds.map(() => secondType),
        ...suffix.types,
      ],
    };
  }

  private runExclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async runBatch(sequences: Array<{ ids: number[]; types: number[] }>): Promise<PairScore[]> {
    const batchSize = sequences.length;
    const length = Math.max(...sequences.map((sequence) => sequence.ids.length));
    const size = batchSize * length;
    const tensors: Record<string, BigInt64Array> = {
      input_ids: new BigInt64Array(size).fill(BigInt(this.files.padTokenId)),
      attention_mask: new BigInt64Array(size),
      token_type_ids: new BigInt64Array(size),
      position_ids: new BigInt64Array(size),
    };
    sequences.forEach((sequence, row) => {
      sequence.ids.forEach((id, column) => {
        const at = row * length + column;
        (tensors.input_ids as BigInt64Array)[at] = BigInt(id);
        (tensors.attention_mask as BigInt64Array)[at] = 1n;
        (tensors.token_type_ids as BigInt64Array)[at] = BigInt(sequence.types[column] ?? 0);
      });
      for (let column = 0; column < length; column++)
        (tensors.position_ids as BigInt64Array)[row * length + column] = BigInt(column);
    });
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.session.inputNames) {
      const data = tensors[name];
      if (!data) throw modelLoadFailed(`Cross-encoder input ${name} is not one Folio can fill`);
      feeds[name] = new ort.Tensor("int64", data, [batchSize, length]);
    }
    const outputName = this.session.outputNames.includes("logits") ? "logits" : this.session.outputNames[0];
    if (!outputName) throw modelLoadFailed("Cross-encoder graph has no outputs");
    const output = (await this.session.run(feeds, [outputName]))[outputName];
    if (output?.type !== "float32")
      throw modelLoadFailed(`Cross-encoder output ${outputName} is not float32`);
    const data = output.data as Float32Array;
    const classes = output.dims.at(-1) ?? 1;
    if (classes !== this.labels.count) {
      throw modelLoadFailed(
        `Cross-encoder gives ${classes} logits; its config.json names ${this.labels.count}`,
      );
    }
    return sequences.map((_, row) => {
      const logits = Array.from(data.subarray(row * classes, (row + 1) * classes));
      if (classes === 1) return { entailment: 1 / (1 + Math.exp(-(logits[0] ?? 0))), contradiction: null };
      const probabilities = softmax(logits);
      return {
        entailment: probabilities[this.labels.entailment] ?? 0,
        contradiction:
          this.labels.contradiction === null ? null : (probabilities[this.labels.contradiction] ?? 0),
      };
    });
  }
}

/** Which logit is entailment (and contradiction), from config.json's `id2label`. */
async function readLabels(
  modelDir: string,
): Promise<{ entailment: number; contradiction: number | null; count: number }> {
  const file = path.join(modelDir, "config.json");
  let labels: Record<string, string> = {};
  try {
    labels = configSchema.parse(JSON.parse(await readFile(file, "utf8"))).id2label ?? {};
  } catch (error) {
    throw modelLoadFailed(
      `Cross-encoder ${file} is missing or not valid: ${(error as Error).message}`,
      error,
    );
  }
  const entries = Object.entries(labels).map(
    ([index, label]) => [Number(index), label.toLowerCase()] as const,
  );
  if (entries.length <= 1) return { entailment: 0, contradiction: null, count: 1 };
  const entailment = entries.find(([, label]) => label.startsWith("entail"))?.[0];
  const contradiction = entries.find(([, label]) => label.startsWith("contradict"))?.[0];
  if (entailment === undefined) {
    throw modelLoadFailed(
      `Cross-encoder ${file} has labels ${entries.map(([, label]) => label).join(", ")}; an NLI model names one "entailment"`,
    );
  }
  return { entailment, contradiction: contradiction ?? null, count: entries.length };
}
