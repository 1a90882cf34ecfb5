import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Tokenizer } from "@huggingface/tokenizers";
import type * as ort from "onnxruntime-node";
import { z } from "zod";
import { AppError } from "../errors";
import { encoderFeeds, runByLength, SerialQueue, type TokenSequence } from "./encoder-runs";
import { type ModelFiles, modelLoadFailed, openCpuSession, readModelFiles } from "./model-directory";

export interface OnnxCrossEncoderOptions {
  /** A model directory in Hugging Face layout (`onnx/model.onnx`, `tokenizer.json`, `config.json`). */
  modelDir: string;
  /** onnxruntime intra-op threads. */
  threads: number;
  /** @default `onnx:<basename of modelDir>` */
  id?: string;
  /**
   * Pairs per session run (sorted by length first, so a batch pads little). Small because
   * onnxruntime-node runs a batch on the JavaScript thread: the event loop waits for the whole
   * run — four ~230-token pairs of a MiniLM-L6 took ~250 ms on 2 cores, sixteen ~1 s — while
   * pairs per second on a CPU were the same for batches of 1 to 32. @default 4
   */
  batchSize?: number;
  /**
   * Tokens of a pair at most, special tokens included; longer pairs are cut, the longer text
   * first. Never above the model's own limit. @default the model's limit
   */
  maxSequenceLength?: number;
}

/** Two texts read together: (premise, hypothesis) for NLI, (query, passage) for relevance. */
export type TextPair = readonly [first: string, second: string];

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
 * The pair's ids cut to `room` tokens as Hugging Face's `longest_first` truncation does: the
 * longer text loses tokens until both fit, so a short query or claim is kept whole.
 */
export function truncatePair(first: number[], second: number[], room: number): [number[], number[]] {
  if (first.length + second.length <= room) return [first, second];
  const half = Math.floor(room / 2);
  if (Math.min(first.length, second.length) <= half) {
    return first.length <= second.length
      ? [first, second.slice(0, room - first.length)]
      : [first.slice(0, room - second.length), second];
  }
  return [first.slice(0, room - half), second.slice(0, half)];
}

/**
 * A cross-encoder run on onnxruntime's CPU provider: an NLI model (labels `entailment`,
 * `neutral`, `contradiction` in its config.json `id2label`, e.g. cross-encoder/nli-deberta-v3-xsmall)
 * or a one-logit relevance cross-encoder (a reranker). Reads the same directory layout as the embedder.
 */
export class OnnxCrossEncoder {
  readonly id: string;
  /** Logits the model gives a pair: 1 for a relevance cross-encoder, one per label for NLI. */
  readonly labelCount: number;
  /** Tokens of a pair at most, special tokens included. */
  readonly maxSequenceLength: number;
  private readonly batchSize: number;
  private readonly runs = new SerialQueue();
  private isDisposed = false;

  private constructor(
    options: OnnxCrossEncoderOptions,
    private readonly session: ort.InferenceSession,
    private readonly files: ModelFiles,
    private readonly template: PairTemplate,
    private readonly labels: { entailment: number; contradiction: number | null; count: number },
  ) {
    this.id = options.id ?? `onnx:${path.basename(path.resolve(options.modelDir))}`;
    this.labelCount = labels.count;
    this.batchSize = Math.max(1, options.batchSize ?? 4);
    this.maxSequenceLength = Math.min(files.maxSequenceLength, options.maxSequenceLength ?? Infinity);
  }

  static async create(options: OnnxCrossEncoderOptions): Promise<OnnxCrossEncoder> {
    const files = await readModelFiles(options.modelDir);
    const template = findPairTemplate(files.tokenizer);
    const labels = await readLabels(options.modelDir);
    const specials = template.prefix.ids.length + template.middle.ids.length + template.suffix.ids.length;
    const limit = Math.min(files.maxSequenceLength, options.maxSequenceLength ?? Infinity);
    if (limit < specials + 2) {
      throw modelLoadFailed(
        `A pair of ${limit} tokens leaves no room for text beside ${specials} special tokens`,
      );
    }
    const session = await openCpuSession(files.graphPath, options.threads);
    const encoder = new OnnxCrossEncoder(options, session, files, template, labels);
    try {
      const [probe] = await encoder.runBatch([encoder.encodePair(["a", "a"])]);
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

  /** Scores each (premise, hypothesis) pair as NLI probabilities (see `PairScore`). */
  async score(pairs: ReadonlyArray<{ premise: string; hypothesis: string }>): Promise<PairScore[]> {
    const logits = await this.logits(pairs.map((pair) => [pair.premise, pair.hypothesis] as const));
    return logits.map((row) => this.toPairScore(row));
  }

  /** The model's raw logits for each pair, in the order given; batched, one session run at a time. */
  async logits(pairs: readonly TextPair[]): Promise<number[][]> {
    if (this.isDisposed) {
      throw new AppError("unavailable:embedder_disposed", { message: "The cross-encoder was disposed" });
    }
    if (pairs.length === 0) return [];
    const sequences = pairs.map((pair) => this.encodePair(pair));
    return runByLength(
      sequences,
      (sequence) => sequence.ids.length,
      this.batchSize,
      (batch) => this.runs.run(() => this.runBatch(batch)),
    );
  }

  async dispose(): Promise<void> {
    if (this.isDisposed) return;
    this.isDisposed = true;
    await this.runs.idle();
    await this.session.release();
  }

  private encodePair([first, second]: TextPair): { ids: number[]; types: number[] } {
    const { prefix, middle, suffix, firstType, secondType } = this.template;
    const encode = (text: string) => this.files.tokenizer.encode(text, { add_special_tokens: false }).ids;
    const room = this.maxSequenceLength - prefix.ids.length - middle.ids.length - suffix.ids.length;
    const [firstIds, secondIds] = truncatePair(encode(first), encode(second), room);
    return {
      ids: [...prefix.ids, ...firstIds, ...middle.ids, ...secondIds, ...suffix.ids],
      types: [
        ...prefix.types,
        ...firstIds.map(() => firstType),
        ...middle.types,
        ...secondIds.map(() => secondType),
        ...suffix.types,
      ],
    };
  }

  private async runBatch(sequences: readonly TokenSequence[]): Promise<number[][]> {
    const feeds = encoderFeeds(this.session.inputNames, sequences, this.files.padTokenId);
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
    return sequences.map((_, row) => Array.from(data.subarray(row * classes, (row + 1) * classes)));
  }

  private toPairScore(logits: number[]): PairScore {
    if (logits.length === 1)
      return { entailment: 1 / (1 + Math.exp(-(logits[0] ?? 0))), contradiction: null };
    const probabilities = softmax(logits);
    return {
      entailment: probabilities[this.labels.entailment] ?? 0,
      contradiction:
        this.labels.contradiction === null ? null : (probabilities[this.labels.contradiction] ?? 0),
    };
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
