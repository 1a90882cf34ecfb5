import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { startAnswer } from "../../lib/answer/start-answer";
import { writeBertShapedModel } from "../../tests/fixtures/builders/bert-shaped-model";
import { buildTextPdf } from "../../tests/fixtures/builders/pdf";
import { bytesOf } from "../../tests/support/test-runtime";
import { type BenchFolio, createBenchCollection, createBenchFolio, drainQueue } from "./bench-folio";
import { type CorpusPdf, hasCorpusPdfs, resolveCorpusPdfsDir, selectSmallestTextPdfs } from "./corpus";
import { computePercentile, roundTo } from "./statistics";
import { printTable } from "./table";

/**
 * Issue 9 item 5, "ingest while answering": answer latency (first token and total, as the asker
 * sees it: from the call to `startAnswer` to the first text piece and to `answer-end`) over the
 * same questions idle, then asked in turn while an ingest of a large batch runs in the same
 * process (the worker's INGEST_CONCURRENCY loops), in each set-up of `benchModes`; and the
 * ingest's pages/s meanwhile. The embedder has bge-small's shape (random weights, the same cost);
 * the generator is the tests' tiny scripted GGUF, so an answer's time is retrieval, the evidence
 * and claim checks (embedding again) and prefill — what an ingest contends with.
 */
export interface IngestWhileAnsweringOptions {
  modes: readonly BenchMode[];
  /** INGEST_THREADS of the split runs. @default the product default (half the cores, at least 1) */
  ingestThreads: number | undefined;
  /** INGEST_YIELD_MS of the split-yield run. @default the product default */
  yieldMs: number | undefined;
  /** Distinct questions; idle: each asked `runs` times; busy: asked in turn while the ingest runs. */
  questions: number;
  /** Pages in the ingest batch (built PDFs, or corpus text PDFs when the corpus is present). */
  pages: number;
  /** Encoder layers of the bge-small-shaped embedder. */
  bgeLayers: number;
  runs: number;
}

/**
 * shared: INGEST_WORKER=off, the worker driven by the bench — one embedder (MODEL_THREADS) for
 * both, no yielding: Folio before issue 9 item 5. split: the worker's own session (INGEST_THREADS),
 * no yielding. split-yield: that, and the worker steps aside between embedding batches while
 * answers run (INGEST_YIELD_MS).
 */
export const benchModes = ["shared", "split", "split-yield"] as const;
export type BenchMode = (typeof benchModes)[number];

interface AnswerSample {
  /** Until the `retrieval-end` event: the question embedded, searched, the prompt packed. */
  retrievalMs: number | null;
  firstTokenMs: number | null;
  totalMs: number;
}

interface ModeFigures {
  mode: BenchMode;
  modelThreads: number;
  /** The worker's embedder threads (MODEL_THREADS in the shared mode). */
  ingestThreads: number;
  /** INGEST_YIELD_MS (0: the worker never waits for answers). */
  yieldMs: number;
  idle: LatencyFigures;
  busy: LatencyFigures;
  /** p95(busy) / p95(idle) of the whole answer; the goal is ≤ 2. */
  totalP95Ratio: number | null;
  firstTokenP95Ratio: number | null;
  ingest: { files: number; pages: number; seconds: number | null; pagesPerSecond: number | null };
  /** What loading the worker's own embedder cost (nothing in the shared mode: it is the same one). */
  ingestEmbedderLoad: { ms: number | null; rssMb: number | null };
}

interface LatencyFigures {
  samples: number;
  retrievalMs: { p50: number | null; p95: number | null };
  firstTokenMs: { p50: number | null; p95: number | null };
  totalMs: { p50: number | null; p95: number | null };
}

const topics = [
  "warehouse inventory",
  "customer refunds",
  "server maintenance",
  "travel expenses",
  "quarterly revenue",
  "employee onboarding",
  "supplier contracts",
  "data retention",
  "office security",
  "product recalls",
];
const verbs = ["requires", "limits", "describes", "changes", "reviews", "approves", "records", "reports"];
const objects = [
  "the monthly audit of every regional branch",
  "approval by two managers before payment",
  "a written notice thirty days in advance",
  "the backup schedule for the billing database",
  "receipts for every purchase above fifty euros",
  "training within the first two weeks",
  "a signed copy kept for seven years",
  "access badges checked at every entrance",
];

/** A deterministic English sentence; `index` picks its topic, verb and object. */
function sentenceOf(index: number): string {
  const topic = topics[index % topics.length] ?? "";
  const verb = verbs[Math.floor(index / topics.length) % verbs.length] ?? "";
  const object = objects[Math.floor(index / 7) % objects.length] ?? "";
  return `The policy on ${topic} ${verb} ${object}, as section ${(index % 40) + 1} states.`;
}

/** A page of `sentences` sentences in paragraphs of four, starting at sentence `start`. */
function pageOf(start: number, sentences: number): string[] {
  const paragraphs: string[] = [];
  for (let offset = 0; offset < sentences; offset += 4) {
    const count = Math.min(4, sentences - offset);
    paragraphs.push(
      Array.from({ length: count }, (_, index) => sentenceOf(start + offset + index)).join(" "),
    );
  }
  return paragraphs;
}

export async function runIngestWhileAnsweringBench(
  options: IngestWhileAnsweringOptions,
): Promise<Record<string, unknown>> {
  const workDir = await mkdtemp(path.join(tmpdir(), "folio-bench-busy-"));
  try {
    const modelDir = path.join(workDir, "bge-shaped");
    await writeBertShapedModel(modelDir, { layers: options.bgeLayers, output: "last_hidden_state" });
    const batch = await chooseIngestBatch(workDir, options.pages);
    console.log(
      `\n[ingest-while-answering] batch: ${batch.files.length} files, ${batch.pages} pages (${batch.source}); ` +
        `embedder: bge-small-shaped, ${options.bgeLayers} layers; ${options.questions} questions`,
    );
    const results: ModeFigures[] = [];
    for (const mode of options.modes) {
      results.push(await measureMode(mode, { ...options, modelDir, batch: batch.files }));
    }
    printFigures(results, options);
    return {
      batchSource: batch.source,
      batchFiles: batch.files.length,
      batchPages: batch.pages,
      bgeLayers: options.bgeLayers,
      questions: options.questions,
      idleRuns: options.runs,
      modes: results,
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Corpus text PDFs (smallest first) up to `pages` pages when the corpus is present; otherwise
 * built PDFs of 20 text pages each.
 */
async function chooseIngestBatch(
  workDir: string,
  pages: number,
): Promise<{ files: CorpusPdf[]; pages: number; source: string }> {
  const pdfsDir = resolveCorpusPdfsDir();
  if (hasCorpusPdfs(pdfsDir)) {
    const chosen: CorpusPdf[] = [];
    let total = 0;
    for (const file of await selectSmallestTextPdfs(pdfsDir, 60)) {
      if (total >= pages) break;
      chosen.push(file);
      total += file.pageCount;
    }
    if (total >= pages) return { files: chosen, pages: total, source: `corpus ${pdfsDir}` };
  }
  const pagesPerFile = 20;
  const files: CorpusPdf[] = [];
  for (let start = 0; start < pages; start += pagesPerFile) {
    const count = Math.min(pagesPerFile, pages - start);
    const bytes = buildTextPdf({
      pages: Array.from({ length: count }, (_, page) => pageOf((start + page) * 24, 24)),
    });
    const filePath = path.join(workDir, `batch-${files.length + 1}.pdf`);
    await writeFile(filePath, bytes);
    files.push({ filePath, name: path.basename(filePath), byteSize: bytes.byteLength, pageCount: count });
  }
  return { files, pages, source: "built PDFs (no corpus)" };
}

async function measureMode(
  mode: BenchMode,
  options: IngestWhileAnsweringOptions & { modelDir: string; batch: readonly CorpusPdf[] },
): Promise<ModeFigures> {
  const isSplit = mode !== "shared";
  const folio = await createBenchFolio({
    EMBEDDING_MODEL: options.modelDir,
    ...(isSplit ? {} : { INGEST_WORKER: "off" }),
    ...(isSplit && options.ingestThreads !== undefined
      ? { INGEST_THREADS: String(options.ingestThreads) }
      : {}),
    ...(mode === "split-yield"
      ? options.yieldMs === undefined
        ? {}
        : { INGEST_YIELD_MS: String(options.yieldMs) }
      : { INGEST_YIELD_MS: "0" }),
  });
  try {
    // The answering embedder first, then what the worker's own embedder adds.
    await folio.embeddingParts();
    const rssBefore = process.memoryUsage.rss();
    const loadStartedAt = performance.now();
    await folio.ingest.pipelineDependencies();
    const ingestEmbedderLoad = {
      ms: roundTo(performance.now() - loadStartedAt, 1),
      rssMb: roundTo((process.memoryUsage.rss() - rssBefore) / 1024 ** 2, 1),
    };

    const answersCollection = await createBenchCollection(folio, "answers");
    const questions = await indexAnswerDocuments(folio, answersCollection, options.questions);
    await askTimed(folio, answersCollection, "warm up the generator and the claim check");

    const idle: AnswerSample[] = [];
    for (let run = 0; run < options.runs; run += 1) {
      for (const question of questions) idle.push(await askTimed(folio, answersCollection, question));
    }
    console.log(`[ingest-while-answering] ${mode}: ${idle.length} idle answers`);

    const batchCollection = await createBenchCollection(folio, "batch");
    for (const file of options.batch) {
      const bytes = new Uint8Array(await readFile(file.filePath));
      await folio.ingest.accept({
        collectionId: batchCollection,
        fileName: path.basename(file.filePath),
        body: bytesOf(bytes),
        declaredBytes: bytes.byteLength,
      });
    }
    // The worker's loops (INGEST_CONCURRENCY of them), in this process, as `npm start` runs them.
    const ingestStartedAt = performance.now();
    let ingestEndedAt: number | undefined;
    const ingest = drainQueue(folio).then((results) => {
      ingestEndedAt = performance.now();
      return results;
    });
    const busy: AnswerSample[] = [];
    for (let index = 0; ingestEndedAt === undefined; index += 1) {
      const sample = await askTimed(folio, answersCollection, questions[index % questions.length] ?? "");
      // Only answers that ended while the ingest still ran count as busy.
      if (ingestEndedAt === undefined) busy.push(sample);
    }
    const jobResults = await ingest;
    const seconds = ((ingestEndedAt ?? performance.now()) - ingestStartedAt) / 1000;
    const pages = jobResults.reduce(
      (sum, result) => sum + (result.state === "succeeded" ? result.outcome.pageCount : 0),
      0,
    );
    console.log(
      `[ingest-while-answering] ${mode}: ${busy.length} answers during an ingest of ${pages} pages in ${seconds.toFixed(1)} s`,
    );
    if (busy.length < questions.length) {
      console.log(
        `[ingest-while-answering] ${mode}: the ingest ended before every question was asked once; use more --pages`,
      );
    }
    const idleFigures = summarize(idle);
    const busyFigures = summarize(busy);
    return {
      mode,
      modelThreads: folio.config.modelThreads,
      ingestThreads: isSplit ? folio.config.ingestThreads : folio.config.modelThreads,
      yieldMs: folio.config.ingestYieldMs,
      idle: idleFigures,
      busy: busyFigures,
      totalP95Ratio: ratio(busyFigures.totalMs.p95, idleFigures.totalMs.p95),
      firstTokenP95Ratio: ratio(busyFigures.firstTokenMs.p95, idleFigures.firstTokenMs.p95),
      ingest: {
        files: jobResults.filter((result) => result.state === "succeeded").length,
        pages,
        seconds: roundTo(seconds, 2),
        pagesPerSecond: roundTo(pages / seconds, 2),
      },
      ingestEmbedderLoad: isSplit ? ingestEmbedderLoad : { ms: null, rssMb: null },
    };
  } finally {
    await folio.close();
  }
}

/** Three small documents about the question topics, indexed before anything is timed. */
async function indexAnswerDocuments(
  folio: BenchFolio,
  collectionId: string,
  questionCount: number,
): Promise<string[]> {
  for (let document = 0; document < 3; document += 1) {
    const bytes = buildTextPdf({
      pages: Array.from({ length: 4 }, (_, page) => pageOf(1000 + (document * 4 + page) * 12, 12)),
    });
    await folio.ingest.accept({
      collectionId,
      fileName: `answers-${document + 1}.pdf`,
      body: bytesOf(bytes),
      declaredBytes: bytes.byteLength,
    });
  }
  await drainQueue(folio);
  return Array.from(
    { length: questionCount },
    (_, index) =>
      `What does the policy on ${topics[index % topics.length]} say about ${objects[index % objects.length]}?`,
  );
}

/** From the call to the first text piece and to `answer-end`, as the asker sees it. */
async function askTimed(folio: BenchFolio, collectionId: string, question: string): Promise<AnswerSample> {
  const startedAt = performance.now();
  const events = await startAnswer(folio, { question, collectionIds: [collectionId], actor: "bench" });
  let retrievalMs: number | null = null;
  let firstTokenMs: number | null = null;
  for await (const event of events) {
    if (event.type === "retrieval-end") retrievalMs = performance.now() - startedAt;
    else if (event.type === "text-delta") firstTokenMs ??= performance.now() - startedAt;
    else if (event.type === "error") throw new Error(`answer failed: ${event.code} ${event.message}`);
    else if (event.type === "answer-end")
      return { retrievalMs, firstTokenMs, totalMs: performance.now() - startedAt };
  }
  throw new Error("answer stream ended without answer-end");
}

function summarize(samples: readonly AnswerSample[]): LatencyFigures {
  const percentiles = (values: number[]) => ({
    p50: roundTo(computePercentile(values, 0.5), 1),
    p95: roundTo(computePercentile(values, 0.95), 1),
  });
  const known = (pick: (sample: AnswerSample) => number | null) =>
    samples.flatMap((sample) => {
      const value = pick(sample);
      return value === null ? [] : [value];
    });
  return {
    samples: samples.length,
    retrievalMs: percentiles(known((sample) => sample.retrievalMs)),
    firstTokenMs: percentiles(known((sample) => sample.firstTokenMs)),
    totalMs: percentiles(samples.map((sample) => sample.totalMs)),
  };
}

function ratio(busy: number | null, idle: number | null): number | null {
  return busy === null || idle === null || idle === 0 ? null : roundTo(busy / idle, 2);
}

function printFigures(results: readonly ModeFigures[], options: IngestWhileAnsweringOptions): void {
  printTable(
    `Ingest while answering — ${availableParallelism()} cores; answer latency in ms (idle: ${options.runs} × ${options.questions} answers)`,
    [
      "set-up",
      "threads answer/ingest",
      "yield ms",
      "idle retrieval p50/p95",
      "busy retrieval p50/p95",
      "idle first p50/p95",
      "busy first p50/p95",
      "idle total p50/p95",
      "busy total p50/p95",
      "busy answers",
      "p95 ratio total (first)",
      "ingest pages/s",
    ],
    results.map((result) => [
      result.mode,
      `${result.modelThreads}/${result.ingestThreads}`,
      String(result.yieldMs),
      `${result.idle.retrievalMs.p50} / ${result.idle.retrievalMs.p95}`,
      `${result.busy.retrievalMs.p50} / ${result.busy.retrievalMs.p95}`,
      `${result.idle.firstTokenMs.p50} / ${result.idle.firstTokenMs.p95}`,
      `${result.busy.firstTokenMs.p50} / ${result.busy.firstTokenMs.p95}`,
      `${result.idle.totalMs.p50} / ${result.idle.totalMs.p95}`,
      `${result.busy.totalMs.p50} / ${result.busy.totalMs.p95}`,
      String(result.busy.samples),
      `${result.totalP95Ratio} (${result.firstTokenP95Ratio})`,
      String(result.ingest.pagesPerSecond),
    ]),
  );
  for (const result of results) {
    if (result.mode !== "shared") {
      console.log(
        `the worker's own embedder session: loaded in ${result.ingestEmbedderLoad.ms} ms, +${result.ingestEmbedderLoad.rssMb} MB resident`,
      );
    }
  }
  console.log("goal: p95(busy) / p95(idle) ≤ 2 for the whole answer");
}
