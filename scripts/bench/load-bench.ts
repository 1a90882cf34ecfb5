import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../../lib/config";
import { buildTextPdf } from "../../tests/fixtures/builders/pdf";
import { readAnswerStreamTimed } from "../../tests/support/answer-stream";
import type { FolioApi, JobView } from "../../tests/support/api";
import { type StartedFolioServer, startFolioServer } from "../../tests/support/folio-server";
import { buildTestModels } from "../../tests/support/test-models";
import { ensureNextBuild } from "../next-build";
import { createBenchModelEnvironment } from "./bench-folio";
import { computePercentile, roundTo } from "./statistics";
import { printTable } from "./table";

/** How long one request (an answer read to its end, or an upload) may take before it counts as failed. */
const requestTimeoutMs = 120_000;
/** How long the ingest of everything uploaded may take once the last level is done. */
const ingestDrainTimeoutMs = 300_000;
const seedDocumentCount = 4;
const fullQueueCode = "rate_limited:answer_queue";

export interface LoadBenchOptions {
  /** Concurrency levels: N askers and N uploaders at once. */
  levels: readonly number[];
  /** Requests each asker and each uploader makes, one after another. */
  runs: number;
}

/** What one request came to, as its client saw it. */
type Outcome =
  | { kind: "ok"; status: number; firstTokenMs: number | null; totalMs: number; isRefusal: boolean }
  | { kind: "error-event"; code: string }
  | { kind: "incomplete" }
  | { kind: "status"; status: number; code: string; isFullQueue: boolean }
  | { kind: "network"; message: string };

interface LevelSamples {
  level: number;
  asks: Outcome[];
  uploads: Outcome[];
  wallMs: number;
}

/**
 * Load on one production server (`next start`, the scripted test GGUF and tiny ONNX embedder,
 * embedded PGlite unless DATABASE_URL is set): for each level N, N askers (POST /api/ask, the
 * SSE stream read to its end) and N uploaders (a small distinct PDF, timed to the 202) at once,
 * each making `runs` requests one after another. A 429 counts as a full answer queue only when it
 * carries `rate_limited:answer_queue` with Retry-After and the bench itself had at least
 * MAX_QUEUED_ANSWERS other asks open while it waited: the server's slots can never outnumber them.
 */
export async function runLoadBench(options: LoadBenchOptions): Promise<Record<string, unknown>> {
  const startedAt = performance.now();
  console.log(`\n[load] production build ${await ensureNextBuild()}`);
  const modelsDir = await mkdtemp(path.join(tmpdir(), "folio-bench-load-"));
  const server = await startFolioServer(
    createBenchModelEnvironment(await buildTestModels(modelsDir), modelsDir),
  );
  try {
    const capacity = loadConfig({ ...process.env, ...server.environment }).maxQueuedAnswers;
    const api = server.admin;
    const seedCollectionId = await api.createCollection("load seed");
    for (let index = 0; index < seedDocumentCount; index += 1) {
      const response = await api.upload(seedCollectionId, `station-${index}.pdf`, buildSeedPdf(index));
      if (response.status !== 202)
        throw new Error(`seed upload: ${response.status} ${await response.text()}`);
    }
    const seedJobs = await api.waitForJobs(seedCollectionId);
    console.log(
      `[load] ${server.environment.DATABASE_URL ? "PostgreSQL" : "PGlite"}, MAX_QUEUED_ANSWERS=${capacity}; ` +
        `seed: ${seedJobs.filter((job) => job.state === "succeeded").length}/${seedDocumentCount} documents indexed`,
    );
    const openAsks = new OpenAsks();
    const warmUp = await askOnce(api, seedCollectionId, "Which crew inspects pump station 0?", openAsks, 0);
    console.log(
      `[load] warm-up answer: ${nameOutcome(warmUp)}${warmUp.kind === "ok" ? ` in ${warmUp.totalMs.toFixed(0)} ms` : ""}`,
    );

    const levels: LevelSamples[] = [];
    const uploadCollections: string[] = [];
    for (const level of options.levels) {
      const uploadCollectionId = await api.createCollection(`load uploads n=${level}`);
      uploadCollections.push(uploadCollectionId);
      const samples = await runLevel({
        api,
        level,
        runs: options.runs,
        capacity,
        openAsks,
        seedCollectionId,
        uploadCollectionId,
      });
      levels.push(samples);
      const counts = (outcomes: readonly Outcome[]) => formatTally(tally(outcomes.map(nameOutcome)));
      console.log(
        `[load] n=${level}: asks ${counts(samples.asks)}; uploads ${counts(samples.uploads)} in ${(samples.wallMs / 1000).toFixed(1)} s`,
      );
    }

    const drainStartedAt = performance.now();
    const jobs = (
      await Promise.all(uploadCollections.map((id) => api.waitForJobs(id, ingestDrainTimeoutMs)))
    ).flat();
    const ingest = summarizeJobs(jobs, performance.now() - drainStartedAt, levels);
    const figures = reportLevels(levels, { capacity, runs: options.runs, ingest });
    const totalMs = performance.now() - startedAt;
    console.log(
      `[load] whole run ${(totalMs / 1000).toFixed(1)} s (build check, start, seed, levels, drain)`,
    );
    printServerErrors(server, figures);
    return { ...figures, warmUp, totalSeconds: roundTo(totalMs / 1000, 1) };
  } finally {
    await server.stop();
    await rm(modelsDir, { recursive: true, force: true });
  }
}

/** N askers and N uploaders at once, each making `runs` requests one after another. */
async function runLevel(context: {
  api: FolioApi;
  level: number;
  runs: number;
  capacity: number;
  openAsks: OpenAsks;
  seedCollectionId: string;
  uploadCollectionId: string;
}): Promise<LevelSamples> {
  const { api, level, runs } = context;
  const startedAt = performance.now();
  const asks: Outcome[] = [];
  const uploads: Outcome[] = [];
  const asker = async (askerIndex: number) => {
    for (let run = 0; run < runs; run += 1) {
      const question = composeQuestion(level, askerIndex, run);
      asks.push(await askOnce(api, context.seedCollectionId, question, context.openAsks, context.capacity));
    }
  };
  const uploader = async (uploaderIndex: number) => {
    for (let run = 0; run < runs; run += 1) {
      uploads.push(await uploadOnce(api, context.uploadCollectionId, level, uploaderIndex, run));
    }
  };
  await Promise.all([
    ...Array.from({ length: level }, (_, index) => asker(index)),
    ...Array.from({ length: level }, (_, index) => uploader(index)),
  ]);
  return { level, asks, uploads, wallMs: performance.now() - startedAt };
}

/**
 * Asks this client has sent and not yet read to the end. The server holds a queue slot only for
 * an ask in that state, so while an ask waits for its response, the most *other* asks open at
 * once bounds how full the queue can have been when the server answered it.
 */
class OpenAsks {
  #open = 0;
  readonly #waiting = new Set<{ mostOthersOpen: number }>();

  /** Counts a new ask and watches the others until `stopWatching`. */
  begin(): { mostOthersOpen: number } {
    const watch = { mostOthersOpen: this.#open };
    this.#open += 1;
    for (const other of this.#waiting) other.mostOthersOpen = Math.max(other.mostOthersOpen, this.#open - 1);
    this.#waiting.add(watch);
    return watch;
  }

  stopWatching(watch: { mostOthersOpen: number }): void {
    this.#waiting.delete(watch);
  }

  /** An ask read to its end (or failed); a count going down never raises a maximum. */
  end(): void {
    this.#open -= 1;
  }
}

async function askOnce(
  api: FolioApi,
  collectionId: string,
  question: string,
  openAsks: OpenAsks,
  capacity: number,
): Promise<Outcome> {
  const sentAt = performance.now();
  const watch = openAsks.begin();
  try {
    const response = await api.ask(
      { question, collectionIds: [collectionId] },
      { signal: AbortSignal.timeout(requestTimeoutMs) },
    );
    openAsks.stopWatching(watch);
    if (response.status !== 200) {
      const code = await readErrorCode(response);
      const isFullQueue =
        response.status === 429 &&
        code === fullQueueCode &&
        response.headers.has("retry-after") &&
        watch.mostOthersOpen >= capacity;
      return { kind: "status", status: response.status, code, isFullQueue };
    }
    return await readAnswer(response, sentAt);
  } catch (error) {
    return { kind: "network", message: error instanceof Error ? error.message : String(error) };
  } finally {
    openAsks.stopWatching(watch);
    openAsks.end();
  }
}

async function readAnswer(response: Response, sentAt: number): Promise<Outcome> {
  const { events, firstTextAt, endedAt } = await readAnswerStreamTimed(response);
  const last = events.at(-1);
  if (last?.type === "error") return { kind: "error-event", code: last.code };
  if (last?.type !== "answer-end") return { kind: "incomplete" };
  const firstTokenMs = firstTextAt === null ? null : firstTextAt - sentAt;
  return {
    kind: "ok",
    status: 200,
    firstTokenMs,
    totalMs: endedAt - sentAt,
    isRefusal: last.refusal !== null,
  };
}

async function uploadOnce(
  api: FolioApi,
  collectionId: string,
  level: number,
  uploaderIndex: number,
  run: number,
): Promise<Outcome> {
  const name = `upload-n${level}-u${uploaderIndex}-r${run}.pdf`;
  const pdf = buildTextPdf({
    title: name,
    pages: [[`Load test upload ${name}: meter ${level * 1000 + uploaderIndex * 10 + run} read at dawn.`]],
  });
  const sentAt = performance.now();
  try {
    const response = await api.upload(collectionId, name, pdf);
    const totalMs = performance.now() - sentAt;
    if (response.status === 202) {
      await response.arrayBuffer();
      return { kind: "ok", status: 202, firstTokenMs: null, totalMs, isRefusal: false };
    }
    return {
      kind: "status",
      status: response.status,
      code: await readErrorCode(response),
      isFullQueue: false,
    };
  } catch (error) {
    return { kind: "network", message: error instanceof Error ? error.message : String(error) };
  }
}

async function readErrorCode(response: Response): Promise<string> {
  const body = (await response.json().catch(() => null)) as { error?: { code?: string } } | null;
  return body?.error?.code ?? "(no code)";
}

function buildSeedPdf(index: number): Uint8Array {
  return buildTextPdf({
    title: `Pump station ${index}`,
    pages: [
      [
        `Pump station ${index} is inspected every ${7 + index} days by the ${["north", "south", "east", "west"][index % 4]} crew.`,
        `The valve pressure limit at pump station ${index} is ${4 + index} bar; above it the operator opens the bypass.`,
      ],
      [`Spare impellers for pump station ${index} are kept in store room ${20 + index}.`],
    ],
  });
}

/** A question no other request asks, so no cache along the way can flatter the figures. */
function composeQuestion(level: number, askerIndex: number, run: number): string {
  const topics = ["valve pressure limit", "inspection interval", "spare impellers", "bypass rule"];
  const station = (askerIndex + run) % seedDocumentCount;
  return `What is the ${topics[(askerIndex + level + run) % topics.length]} at pump station ${station}? (load ${level}.${askerIndex}.${run})`;
}

/** An outcome's name in the tallies, e.g. `429 rate_limited:answer_queue (full queue)`. */
function nameOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case "ok":
      return `${outcome.status}${outcome.isRefusal ? " refused (no evidence)" : ""}`;
    case "status":
      if (outcome.status !== 429) return `${outcome.status} ${outcome.code}`;
      return `429 ${outcome.code} (${outcome.isFullQueue ? "full queue" : "queue not full"})`;
    case "error-event":
      return `error event ${outcome.code}`;
    case "incomplete":
      return "stream ended without answer-end";
    case "network":
      return `network error ${outcome.message}`;
  }
}

/** Neither a success nor a full-queue 429: what this bench is here to find. */
function isProblem(outcome: Outcome): boolean {
  return outcome.kind !== "ok" && !(outcome.kind === "status" && outcome.isFullQueue);
}

function statusOf(outcome: Outcome): number {
  return outcome.kind === "ok" || outcome.kind === "status" ? outcome.status : 0;
}

function tally(keys: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

function formatTally(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([key, count]) => `${count}× ${key}`)
    .join(", ");
}

function summarizeLevel({ level, asks, uploads, wallMs }: LevelSamples) {
  const answered = asks.flatMap((outcome) => (outcome.kind === "ok" && !outcome.isRefusal ? [outcome] : []));
  const accepted = uploads.flatMap((outcome) => (outcome.kind === "ok" ? [outcome] : []));
  const percentiles = (values: readonly number[]) => ({
    p50: roundTo(computePercentile(values, 0.5), 0),
    p95: roundTo(computePercentile(values, 0.95), 0),
  });
  return {
    level,
    askers: level,
    uploaders: level,
    asks: tally(asks.map(nameOutcome)),
    uploads: tally(uploads.map(nameOutcome)),
    asksTotal: asks.length,
    asksOk: asks.filter((outcome) => outcome.kind === "ok").length,
    asks429FullQueue: asks.filter((outcome) => outcome.kind === "status" && outcome.isFullQueue).length,
    asks5xx: asks.filter((outcome) => statusOf(outcome) >= 500).length,
    uploadsTotal: uploads.length,
    uploadsAccepted: accepted.length,
    responses5xx: [...asks, ...uploads].filter((outcome) => statusOf(outcome) >= 500).length,
    problems: tally([
      ...asks.filter(isProblem).map((outcome) => `ask ${nameOutcome(outcome)}`),
      ...uploads.filter(isProblem).map((outcome) => `upload ${nameOutcome(outcome)}`),
    ]),
    firstTokenMs: percentiles(
      answered.flatMap((outcome) => (outcome.firstTokenMs === null ? [] : [outcome.firstTokenMs])),
    ),
    answerMs: percentiles(answered.map((outcome) => outcome.totalMs)),
    uploadMs: percentiles(accepted.map((outcome) => outcome.totalMs)),
    wallSeconds: roundTo(wallMs / 1000, 1),
  };
}

function summarizeJobs(jobs: readonly JobView[], drainMs: number, levels: readonly LevelSamples[]) {
  const failed = jobs.filter((job) => job.state === "failed");
  return {
    uploadsAccepted: levels.flatMap((level) => level.uploads).filter((outcome) => outcome.kind === "ok")
      .length,
    jobs: jobs.length,
    succeeded: jobs.filter((job) => job.state === "succeeded").length,
    failed: failed.length,
    failedCodes: tally(failed.map((job) => job.errorCode ?? "(no code)")),
    drainSeconds: roundTo(drainMs / 1000, 1),
  };
}

function reportLevels(
  levels: readonly LevelSamples[],
  context: { capacity: number; runs: number; ingest: ReturnType<typeof summarizeJobs> },
) {
  const rows = levels.map(summarizeLevel);
  printTable(
    `Load — N askers + N uploaders at once, ${context.runs} requests each, MAX_QUEUED_ANSWERS=${context.capacity} ` +
      "(ms; latencies of answered asks and accepted uploads)",
    [
      "N",
      "asks ok",
      "429 full queue",
      "ask 5xx",
      "first token p50",
      "p95",
      "answer p50",
      "p95",
      "uploads 202",
      "upload p50",
      "p95",
      "5xx",
      "other problems",
      "wall s",
    ],
    rows.map((row) => [
      row.level,
      `${row.asksOk}/${row.asksTotal}`,
      row.asks429FullQueue,
      row.asks5xx,
      row.firstTokenMs.p50,
      row.firstTokenMs.p95,
      row.answerMs.p50,
      row.answerMs.p95,
      `${row.uploadsAccepted}/${row.uploadsTotal}`,
      row.uploadMs.p50,
      row.uploadMs.p95,
      row.responses5xx,
      Object.values(row.problems).reduce((total, count) => total + count, 0) - row.responses5xx,
      row.wallSeconds,
    ]),
  );
  const { ingest } = context;
  console.log(
    `\ningest after the last level: ${ingest.succeeded} succeeded, ${ingest.failed} failed of ${ingest.jobs} jobs ` +
      `(${ingest.uploadsAccepted} uploads accepted), drained in ${ingest.drainSeconds} s`,
  );
  const responses5xx = rows.reduce((total, row) => total + row.responses5xx, 0);
  const problems = tally(
    rows.flatMap((row) => Object.entries(row.problems).flatMap(([key, count]) => Array(count).fill(key))),
  );
  if (responses5xx > 0) console.log(`FAIL: ${responses5xx} 5xx responses`);
  if (Object.keys(problems).length > 0) console.log(`FAIL: ${formatTally(problems)}`);
  if (ingest.failed > 0 || ingest.jobs !== ingest.uploadsAccepted)
    console.log(
      `FAIL: ${ingest.failed} ingest jobs failed (${formatTally(ingest.failedCodes)}); ` +
        `${ingest.jobs} jobs for ${ingest.uploadsAccepted} accepted uploads`,
    );
  return {
    maxQueuedAnswers: context.capacity,
    runs: context.runs,
    levels: rows,
    ingest,
    responses5xx,
    problems,
  };
}

/** The server's own error lines, so a 5xx or an error event can be traced to its cause. */
function printServerErrors(server: StartedFolioServer, figures: ReturnType<typeof reportLevels>): void {
  if (Object.keys(figures.problems).length === 0 && figures.ingest.failed === 0) return;
  const lines = server
    .output()
    .split("\n")
    .filter((line) => /error|fail|\[http\]/i.test(line));
  console.log(`\nserver error lines (${lines.length}, first 40):\n${lines.slice(0, 40).join("\n")}`);
}
