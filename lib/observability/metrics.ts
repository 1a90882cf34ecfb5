import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { getLogger } from "./log";

/** How an answer ended, as counted in `folio_answers_total{outcome}`. */
export type AnswerMetricOutcome =
  /** Streamed to its end and recorded. */
  | "answered"
  /** The no-evidence answer, without asking the model. */
  | "refused"
  /** The model or a check failed mid-stream (an `error` event). */
  | "failed"
  /** The client went away or stopped the answer. */
  | "cancelled"
  /** Never started: the queue was full (429), a model was missing (503), or the request was refused. */
  | "rejected";

/** Ingest job states, as `folio_ingest_jobs{state}` reports them. */
export type JobCounts = Record<string, number>;

interface FolioMetrics {
  registry: Registry;
  ingestPages: Counter;
  jobFailures: Counter<"code">;
  ingestJobs: Gauge<"state">;
  answers: Counter<"outcome">;
  timeToFirstToken: Histogram;
  answerTokens: Counter;
  generationSeconds: Counter;
  tokensPerSecond: Histogram;
  httpResponses: Counter<"status" | "area">;
  goldenRuns: Counter<"state">;
  goldenAlerts: Counter<"collection_id">;
  goldenRecall: Gauge<"collection_id" | "k">;
  goldenAlertActive: Gauge<"collection_id">;
}

/**
 * One registry per process. Next.js loads lib/ once per bundle (instrumentation, each route), so
 * the registry lives on `globalThis`: a counter bumped by the answer code must be the one the
 * /api/metrics route renders.
 */
const globalKey = Symbol.for("folio.metrics");

export function getMetrics(): FolioMetrics {
  const holder = globalThis as typeof globalThis & { [globalKey]?: FolioMetrics };
  holder[globalKey] ??= createMetrics();
  return holder[globalKey];
}

function createMetrics(): FolioMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    ingestPages: new Counter({
      name: "folio_ingest_pages_total",
      help: "Pages (and images) ingested into the index; rate() gives pages per second.",
      registers,
    }),
    jobFailures: new Counter({
      name: "folio_ingest_job_failures_total",
      help: "Ingest jobs that failed for good, by error code.",
      labelNames: ["code"],
      registers,
    }),
    ingestJobs: new Gauge({
      name: "folio_ingest_jobs",
      help: "Ingest jobs in the database by state (queued is the queue depth), read at scrape time.",
      labelNames: ["state"],
      registers,
    }),
    answers: new Counter({
      name: "folio_answers_total",
      help: "Questions by how their answer ended: answered, refused, failed, cancelled or rejected.",
      labelNames: ["outcome"],
      registers,
    }),
    timeToFirstToken: new Histogram({
      name: "folio_answer_time_to_first_token_seconds",
      help: "From the question arriving to the model's first answer token (retrieval and prompt reading included).",
      buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60],
      registers,
    }),
    answerTokens: new Counter({
      name: "folio_answer_tokens_total",
      help: "Answer tokens streamed by the model (one streamed piece each).",
      registers,
    }),
    generationSeconds: new Counter({
      name: "folio_answer_generation_seconds_total",
      help: "Seconds the model spent streaming answers, first token to last; tokens_total / this = tokens per second.",
      registers,
    }),
    tokensPerSecond: new Histogram({
      name: "folio_answer_tokens_per_second",
      help: "Streaming speed of each answer, first token to last.",
      buckets: [1, 2, 5, 10, 20, 35, 50, 75, 100, 150, 250, 500],
      registers,
    }),
    httpResponses: new Counter({
      name: "folio_http_responses_total",
      help: "HTTP responses sent, by status code and area (api, page, asset).",
      labelNames: ["status", "area"],
      registers,
    }),
    goldenRuns: new Counter({
      name: "folio_golden_runs_total",
      help: "Golden-question runs this process finished, by state (done, failed).",
      labelNames: ["state"],
      registers,
    }),
    goldenAlerts: new Counter({
      name: "folio_golden_alerts_total",
      help: "Golden-question runs this process finished with a recall drop alert, by collection.",
      labelNames: ["collection_id"],
      registers,
    }),
    goldenRecall: new Gauge({
      name: "folio_golden_recall",
      help: "recall@k of each collection's latest completed golden-question run, read at scrape time.",
      labelNames: ["collection_id", "k"],
      registers,
    }),
    goldenAlertActive: new Gauge({
      name: "folio_golden_alert",
      help: "1 when a collection's latest completed golden-question run raised a recall drop alert, read at scrape time.",
      labelNames: ["collection_id"],
      registers,
    }),
  };
}

/** Call with the pages (or images) of a document version once they are in the index. */
export function recordIngestPages(pages: number): void {
  if (pages > 0) getMetrics().ingestPages.inc(pages);
}

/** Call when a job ends `failed` (not on a retried attempt), with its error code. */
export function recordJobFailure(code: string): void {
  getMetrics().jobFailures.inc({ code });
}

export function recordAnswer(outcome: AnswerMetricOutcome): void {
  getMetrics().answers.inc({ outcome });
}

/** The outcome of a streamed answer from what `streamAnswer` records. */
export function answerOutcomeOf(failure: { code: string } | null, isRefused: boolean): AnswerMetricOutcome {
  if (failure) return failure.code === "aborted:answer" ? "cancelled" : "failed";
  return isRefused ? "refused" : "answered";
}

/**
 * Passes the model's pieces through unchanged, measuring time to first token (from
 * `startedAtMs`, a `performance.now()` reading) and streaming speed. Ends (normally, by error or
 * when the consumer stops) record what was streamed so far.
 */
export async function* meteredGeneration(
  pieces: AsyncIterable<string>,
  startedAtMs: number,
): AsyncGenerator<string, void, undefined> {
  const metrics = getMetrics();
  let firstPieceMs: number | undefined;
  let count = 0;
  try {
    for await (const piece of pieces) {
      if (firstPieceMs === undefined) {
        firstPieceMs = performance.now();
        metrics.timeToFirstToken.observe((firstPieceMs - startedAtMs) / 1000);
      }
      count += 1;
      yield piece;
    }
  } finally {
    if (firstPieceMs !== undefined) {
      const seconds = (performance.now() - firstPieceMs) / 1000;
      metrics.answerTokens.inc(count);
      metrics.generationSeconds.inc(seconds);
      // The first token is the start of the span, so a one-token answer has no speed.
      if (count > 1 && seconds > 0) metrics.tokensPerSecond.observe((count - 1) / seconds);
    }
  }
}

/** Counts one HTTP response; `path` only decides the area, never becomes a label. */
export function recordHttpResponse(status: number, path: string): void {
  const area = path.startsWith("/api/") ? "api" : path.startsWith("/_next/") ? "asset" : "page";
  getMetrics().httpResponses.inc({ status: String(status), area });
}

/** A golden-question run finished in this process (`done` or `failed`); alerts count per collection. */
export function recordGoldenRun(run: {
  state: "done" | "failed";
  collectionId: string;
  isAlert: boolean;
}): void {
  const metrics = getMetrics();
  metrics.goldenRuns.inc({ state: run.state });
  if (run.isAlert) metrics.goldenAlerts.inc({ collection_id: run.collectionId });
}

/** The latest completed golden run of a collection, as a scrape reports it. */
export interface GoldenFigure {
  collectionId: string;
  k: number;
  recallAtK: number;
  isAlert: boolean;
}

export interface MetricsSources {
  /** Jobs by state, read from the database at scrape time. */
  jobCounts?: () => Promise<JobCounts>;
  /** Each collection's latest golden-question figures, read from the database at scrape time. */
  goldenFigures?: () => Promise<GoldenFigure[]>;
}

/** The Prometheus text exposition of this process's metrics. */
export async function renderMetrics(
  sources: MetricsSources = {},
): Promise<{ body: string; contentType: string }> {
  const { registry, ingestJobs } = getMetrics();
  if (sources.jobCounts) {
    ingestJobs.reset();
    // The scrape still answers when the database is down: that is when the other figures matter.
    const counts = await sources.jobCounts().catch((error: unknown) => {
      getLogger().warn("metrics: could not count ingest jobs", { error });
      return {};
    });
    for (const [state, count] of Object.entries(counts)) ingestJobs.set({ state }, count);
  }
  if (sources.goldenFigures) await setGoldenFigures(sources.goldenFigures);
  return { body: await registry.metrics(), contentType: registry.contentType };
}

async function setGoldenFigures(read: () => Promise<GoldenFigure[]>): Promise<void> {
  const { goldenRecall, goldenAlertActive } = getMetrics();
  const figures = await read().catch((error: unknown) => {
    getLogger().warn("metrics: could not read golden-question figures", { error });
    return undefined;
  });
  if (!figures) return;
  goldenRecall.reset();
  goldenAlertActive.reset();
  for (const figure of figures) {
    goldenRecall.set({ collection_id: figure.collectionId, k: String(figure.k) }, figure.recallAtK);
    goldenAlertActive.set({ collection_id: figure.collectionId }, figure.isAlert ? 1 : 0);
  }
}
