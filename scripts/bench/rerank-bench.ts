import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import * as ort from "onnxruntime-node";
import { encoderFeeds, runByLength } from "../../lib/embeddings/encoder-runs";
import { OnnxReranker } from "../../lib/embeddings/onnx-reranker";
import {
  createPaddedVocabulary,
  writeBertShapedModel,
} from "../../tests/fixtures/builders/bert-shaped-model";
import { createTinyVocabulary } from "../../tests/fixtures/builders/tiny-embedding-model";
import { type BenchReportContent, writeBenchReport } from "./bench-report";
import { hasSciFact, readBgeVocabulary, readChunkTexts, readSciFactQueries } from "./scifact-texts";
import { computeMedian, computePercentile, formatPercent, roundTo, timeMs } from "./statistics";
import { printTable } from "./table";

/**
 * What reranking costs a query: a cross-encoder of a real reranker's shape (random weights, built
 * here; cost depends on shape, not on values) scores N (question, passage) pairs through Folio's
 * OnnxReranker, against raw onnxruntime-node `session.run` on the same pairs, pre-tokenised and
 * batched as Folio batches them (sorted by length, 4 a batch, padded to the batch's longest),
 * query by query back to back. Passages are ~230-token chunks of SciFact abstracts (Folio's
 * default chunk is 256 embedder tokens), questions SciFact claims.
 */
export const rerankShapes = {
  "minilm-l6": {
    title: "ms-marco-MiniLM-L6 shape",
    description: "BERT, 6 layers × 384 wide, 12 heads, FFN 1536, 30,522 tokens, 512 positions",
    layers: 6,
    hidden: 384,
    heads: 12,
    intermediate: 1536,
    vocabularySize: 30_522,
    maxPositions: 512,
    typeVocabularySize: 2,
    /** Share of `--queries` timed for this shape (the larger model is 2–4× slower). */
    queryShare: 1,
  },
  "bge-reranker-base": {
    title: "bge-reranker-base shape",
    description: "XLM-RoBERTa base, 12 layers × 768 wide, 12 heads, FFN 3072, 250,002 tokens, 514 positions",
    layers: 12,
    hidden: 768,
    heads: 12,
    intermediate: 3072,
    vocabularySize: 250_002,
    maxPositions: 514,
    typeVocabularySize: 1,
    queryShare: 1 / 3,
  },
} as const;
export type RerankShapeName = keyof typeof rerankShapes;

export interface RerankBenchOptions {
  /** Candidates reranked per query. @default [20, 50, 100] */
  candidateCounts: readonly number[];
  shapes: readonly RerankShapeName[];
  /** Timed queries per candidate count (each a fresh question and passages); a third of them for bge-reranker-base. */
  queries: number;
  /** onnxruntime intra-op threads for both. @default the number of cores */
  threads?: number;
}

/** Folio's default chunk is 256 embedder tokens; with a heading path a passage reads ~230 model tokens. */
const passageTokens = 230;
/** OnnxCrossEncoder's default pairs per session run. */
const batchSize = 4;
const overheadGoal = 0.15;

interface QueryCase {
  question: string;
  passages: string[];
}

/** Passages and questions: SciFact when the corpus is there, else sentences of the test vocabulary. */
async function readTexts(
  tokenizer: Tokenizer,
  passageCount: number,
  questionCount: number,
): Promise<{ passages: string[]; questions: string[]; source: string }> {
  if (hasSciFact()) {
    return {
      passages: await readChunkTexts(tokenizer, passageCount, passageTokens),
      questions: await readSciFactQueries(questionCount),
      source: "SciFact abstracts (passages) and claims (questions)",
    };
  }
  const words = createTinyVocabulary().filter((token) => /^[a-z]{3,}$/.test(token));
  const sentence = (seed: number, length: number) =>
    Array.from({ length }, (_, index) => words[(seed * 7919 + index * 104_729) % words.length]).join(" ");
  return {
    passages: Array.from({ length: passageCount }, (_, index) => sentence(index, passageTokens - 10)),
    questions: Array.from({ length: questionCount }, (_, index) => sentence(index + 100_000, 12)),
    source: "synthetic sentences of the test vocabulary (the shared corpus is absent)",
  };
}

interface ShapeResult {
  shape: RerankShapeName;
  buildMs: number;
  modelMb: number;
  parameters: number;
  loadMs: number;
  meanPairTokens: number;
  byCount: Array<{
    candidates: number;
    queries: number;
    folioMs: number[];
    rawMs: number[];
    /** Process CPU time (user + system) of Folio's call: what the query costs the machine, whatever else runs on it. */
    folioCpuMs: number[];
  }>;
}

async function benchShape(
  name: RerankShapeName,
  options: RerankBenchOptions,
  threads: number,
  vocabulary: string[] | undefined,
): Promise<ShapeResult> {
  const shape = rerankShapes[name];
  const queries = Math.max(1, Math.ceil(options.queries * shape.queryShare));
  const workDir = await mkdtemp(path.join(tmpdir(), `folio-bench-rerank-${name}-`));
  let session: ort.InferenceSession | undefined;
  let reranker: OnnxReranker | undefined;
  try {
    const buildStartedAt = performance.now();
    const model = await writeBertShapedModel(workDir, {
      layers: shape.layers,
      hidden: shape.hidden,
      heads: shape.heads,
      intermediate: shape.intermediate,
      maxPositions: shape.maxPositions,
      typeVocabularySize: shape.typeVocabularySize,
      output: "logits",
      // bge's WordPiece tokens (English token counts like the real models'), padded to the shape's size.
      vocabulary: vocabulary
        ? [
            ...vocabulary,
            ...Array.from(
              { length: shape.vocabularySize - vocabulary.length },
              (_, index) => `[extra${index}]`,
            ),
          ]
        : createPaddedVocabulary(shape.vocabularySize),
      maxSequenceLength: 512,
    });
    const buildMs = performance.now() - buildStartedAt;
    const modelMb = (await stat(model.graphPath)).size / 1024 ** 2;
    console.log(
      `\n[rerank] built a ${shape.title} model (${(model.parameterCount / 1e6).toFixed(1)} M parameters, ${modelMb.toFixed(0)} MB) in ${buildMs.toFixed(0)} ms`,
    );

    const loadStartedAt = performance.now();
    // As openCpuSession opens Folio's: CPU, intra-op threads, one operator at a time, all optimisations.
    session = await ort.InferenceSession.create(model.graphPath, {
      executionProviders: ["cpu"],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
    });
    reranker = await OnnxReranker.create({ modelDir: workDir, threads, batchSize });
    const loadMs = performance.now() - loadStartedAt;

    const tokenizer = new Tokenizer(
      JSON.parse(await readFile(path.join(workDir, "tokenizer.json"), "utf8")),
      JSON.parse(await readFile(path.join(workDir, "tokenizer_config.json"), "utf8")),
    );
    const largest = Math.max(...options.candidateCounts);
    const texts = await readTexts(tokenizer, largest + queries * 7, queries * options.candidateCounts.length);
    const casesFor = (candidates: number, countIndex: number): QueryCase[] =>
      Array.from({ length: queries }, (_, query) => ({
        question: texts.questions[countIndex * queries + query] ?? "",
        passages: texts.passages.slice(query * 7, query * 7 + candidates),
      }));

    // The raw reference gets exactly Folio's batches: the pair as the tokenizer encodes it, sorted by length, 4 a batch.
    const rawBatches = async (testCase: QueryCase) => {
      const sequences = testCase.passages.map((passage) => {
        const encoding = tokenizer.encode(testCase.question, {
          text_pair: passage,
          return_token_type_ids: true,
        });
        return { ids: encoding.ids.slice(0, 512), types: (encoding.token_type_ids ?? []).slice(0, 512) };
      });
      const batches: Array<Record<string, ort.Tensor>> = [];
      await runByLength(
        sequences,
        (sequence) => sequence.ids.length,
        batchSize,
        async (batch) => {
          batches.push(encoderFeeds((session as ort.InferenceSession).inputNames, batch, 0));
          return batch;
        },
      );
      return { batches, tokens: sequences.reduce((sum, sequence) => sum + sequence.ids.length, 0) };
    };
    const runRaw = async (batches: Array<Record<string, ort.Tensor>>) => {
      for (const feeds of batches) await (session as ort.InferenceSession).run(feeds);
    };
    const runFolio = (testCase: QueryCase) =>
      (reranker as OnnxReranker).score(testCase.question, testCase.passages);

    // Warm-up: the first runs of a session allocate its arenas.
    const warmUp = casesFor(Math.min(...options.candidateCounts), 0)[0];
    if (!warmUp) throw new Error("no query to rerank");
    await runRaw((await rawBatches(warmUp)).batches);
    await runFolio(warmUp);

    let pairTokens = 0;
    let pairs = 0;
    const byCount: ShapeResult["byCount"] = [];
    for (const [countIndex, candidates] of options.candidateCounts.entries()) {
      const folioMs: number[] = [];
      const rawMs: number[] = [];
      const folioCpuMs: number[] = [];
      const timeFolio = async (testCase: QueryCase) => {
        const cpuBefore = process.cpuUsage();
        folioMs.push(await timeMs(() => runFolio(testCase)));
        const cpu = process.cpuUsage(cpuBefore);
        folioCpuMs.push((cpu.user + cpu.system) / 1000);
      };
      for (const [index, testCase] of casesFor(candidates, countIndex).entries()) {
        const prepared = await rawBatches(testCase);
        pairTokens += prepared.tokens;
        pairs += testCase.passages.length;
        // Which goes first alternates, so load from other processes hits both alike.
        if (index % 2 === 0) {
          rawMs.push(await timeMs(() => runRaw(prepared.batches)));
          await timeFolio(testCase);
        } else {
          await timeFolio(testCase);
          rawMs.push(await timeMs(() => runRaw(prepared.batches)));
        }
      }
      console.log(
        `[rerank] ${name}, ${candidates} candidates: Folio p50 ${computeMedian(folioMs).toFixed(0)} ms, raw p50 ${computeMedian(rawMs).toFixed(0)} ms per query`,
      );
      byCount.push({ candidates, queries, folioMs, rawMs, folioCpuMs });
    }
    return {
      shape: name,
      buildMs,
      modelMb,
      parameters: model.parameterCount,
      loadMs,
      meanPairTokens: pairTokens / pairs,
      byCount,
    };
  } finally {
    await reranker?.dispose().catch(() => undefined);
    await session?.release().catch(() => undefined);
    await rm(workDir, { recursive: true, force: true });
  }
}

export async function runRerankBench(options: RerankBenchOptions): Promise<Record<string, unknown>> {
  const threads = options.threads ?? availableParallelism();
  const loadBefore = loadavg()[0] ?? 0;
  const vocabulary = await readBgeVocabulary();
  const results: ShapeResult[] = [];
  for (const shape of options.shapes) results.push(await benchShape(shape, options, threads, vocabulary));

  const columns = [
    "model shape",
    "candidates",
    "queries",
    "Folio ms/query p50",
    "Folio ms/query p95",
    "Folio pairs/s",
    "Folio CPU s/query p50",
    "raw ms/query p50",
    "raw ms/query p95",
    "raw pairs/s",
    "Folio vs raw",
  ];
  const rows = results.flatMap((result) =>
    result.byCount.map((count) => {
      const pairsPerSecond = (samples: number[]) =>
        (count.candidates * samples.length) / (samples.reduce((sum, value) => sum + value, 0) / 1000);
      const overhead =
        count.folioMs.reduce((sum, value) => sum + value, 0) /
          count.rawMs.reduce((sum, value) => sum + value, 0) -
        1;
      return [
        rerankShapes[result.shape].title,
        count.candidates,
        count.queries,
        roundTo(computeMedian(count.folioMs), 0),
        roundTo(computePercentile(count.folioMs, 0.95), 0),
        roundTo(pairsPerSecond(count.folioMs), 1),
        roundTo(computeMedian(count.folioCpuMs) / 1000, 2),
        roundTo(computeMedian(count.rawMs), 0),
        roundTo(computePercentile(count.rawMs, 0.95), 0),
        roundTo(pairsPerSecond(count.rawMs), 1),
        formatPercent(overhead),
      ];
    }),
  );
  printTable(`Reranking cost per query, ${threads} threads`, columns, rows);

  const overallOverhead =
    results.flatMap((result) => result.byCount.flatMap((count) => count.folioMs)).reduce((a, b) => a + b, 0) /
      results.flatMap((result) => result.byCount.flatMap((count) => count.rawMs)).reduce((a, b) => a + b, 0) -
    1;
  const report: BenchReportContent = {
    name: "rerank",
    title: "Reranking: cost per query of a cross-encoder over N candidates (same-shape models)",
    reference:
      "onnxruntime-node `InferenceSession.run` of the same model on the same (question, passage) pairs, pre-tokenised and batched as Folio batches them (sorted by length, 4 a batch, padded to the batch's longest), same threads and session options, query by query back to back",
    columns,
    rows,
    goals: [
      {
        goal: "Folio's reranking overhead ≤ 15 % of raw onnxruntime (all rows)",
        measured: formatPercent(overallOverhead),
        met: overallOverhead <= overheadGoal,
      },
    ],
    charts: results.map((result) => ({
      title: `Reranking one query, ${rerankShapes[result.shape].title} (p50)`,
      unit: "ms per query",
      bars: result.byCount.flatMap((count) => [
        { label: `${count.candidates} candidates, raw`, value: computeMedian(count.rawMs), reference: true },
        { label: `${count.candidates} candidates, Folio`, value: computeMedian(count.folioMs) },
      ]),
    })),
    notes: [
      ...results.map(
        (result) =>
          `${rerankShapes[result.shape].title}: ${rerankShapes[result.shape].description}, one-logit classification head; random weights (${(result.parameters / 1e6).toFixed(1)} M parameters, ${roundTo(result.modelMb, 0)} MB), built in ${roundTo(result.buildMs / 1000, 1)} s, both sessions loaded in ${roundTo(result.loadMs / 1000, 1)} s; ${roundTo(result.meanPairTokens, 0)} tokens a pair on average.`,
      ),
      `Pairs: a question and a passage of about ${passageTokens} tokens (Folio's chunks are up to 256 embedder tokens plus the heading path) from ${hasSciFact() ? "SciFact" : "synthetic text"}; tokens counted with bge's WordPiece vocabulary${vocabulary ? "" : " (not found: the test vocabulary)"} — XLM-RoBERTa's SentencePiece gives English token counts within about 10 % of it. Each query has fresh passages; p95 of so few queries is close to their maximum.`,
      `${threads} intra-op threads; load average (1 min) ${loadBefore.toFixed(1)} before, ${(loadavg()[0] ?? 0).toFixed(1)} after, on ${availableParallelism()} cores: other processes share the machine, so wall-clock figures vary with their load. CPU s/query (this process's user + system time during Folio's call) varies far less: on an idle machine a query takes between CPU s / ${threads} threads (large matrices keep every thread busy) and CPU s (small ones about one) of wall-clock time.`,
      "Cost grows linearly with candidates (each pair is one sequence through the whole model) and faster than linearly with pair length; RERANK_MAX_TOKENS caps the length, RERANK_CANDIDATES the count.",
    ],
  };
  await writeBenchReport(report);
  return {
    threads,
    shapes: results.map((result) => ({
      shape: result.shape,
      parameters: result.parameters,
      modelMb: roundTo(result.modelMb, 1),
      buildMs: roundTo(result.buildMs, 0),
      loadMs: roundTo(result.loadMs, 0),
      meanPairTokens: roundTo(result.meanPairTokens, 1),
      byCount: result.byCount.map((count) => ({
        candidates: count.candidates,
        folioMsP50: roundTo(computeMedian(count.folioMs), 1),
        folioMsP95: roundTo(computePercentile(count.folioMs, 0.95), 1),
        folioCpuMsP50: roundTo(computeMedian(count.folioCpuMs), 1),
        rawMsP50: roundTo(computeMedian(count.rawMs), 1),
        rawMsP95: roundTo(computePercentile(count.rawMs, 0.95), 1),
      })),
    })),
    overheadPercent: roundTo(overallOverhead * 100, 1),
  };
}

export const rerankBenchOptionNames = ["candidates", "shapes", "queries"] as const;
export const rerankBenchUsage =
  "  rerank: [--candidates 20,50,100] [--shapes minilm-l6,bge-reranker-base] [--queries 2×runs] (a third of the queries for bge-reranker-base)";

/** `npm run bench -- rerank` options; `runs` sets the default number of queries. */
export function parseRerankBenchOptions(
  options: ReadonlyMap<string, string>,
  runs: number,
): RerankBenchOptions | { problem: string } {
  const candidateCounts = (options.get("candidates") ?? "20,50,100").split(",").map(Number);
  if (!candidateCounts.every((count) => Number.isInteger(count) && count >= 1 && count <= 1000))
    return { problem: "--candidates takes integers from 1 to 1000 separated by commas, e.g. 20,50,100" };
  const shapes = (options.get("shapes") ?? Object.keys(rerankShapes).join(",")).split(",");
  if (!shapes.every((shape): shape is RerankShapeName => shape in rerankShapes))
    return { problem: `--shapes takes some of ${Object.keys(rerankShapes).join(",")}` };
  const queries = Number(options.get("queries") ?? 2 * runs);
  if (!Number.isInteger(queries) || queries < 1) return { problem: "--queries takes a positive integer" };
  return { candidateCounts, shapes, queries };
}
