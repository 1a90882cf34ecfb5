import { spawn } from "node:child_process";
import path from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCollection } from "../../db/queries/collections";
import { getVersionWithDocument } from "../../db/queries/documents";
import { getJobById } from "../../db/queries/ingest-jobs";
import { auditEvents, ingestJobs } from "../../db/schema";
import { IngestWorker, type WorkerOptions } from "../../ingest/worker";
import { AppError } from "../../lib/errors";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { testModelEnvironment } from "../support/test-models";
import { bytesOf, createTestFolio, type TestFolio } from "../support/test-runtime";

/**
 * The durable queue under the faults a real deployment meets: a worker process that dies in the
 * middle of a job, a worker that stalls past its lease while another takes over, a database
 * statement that fails half-way through recording a failure, a shutdown, a parser child killed.
 */

const maxAttempts = 3;
let folio: TestFolio;
let collectionId: string;

beforeAll(async () => {
  folio = await createTestFolio({
    // One parser child: the one the crash test kills is the one reading (not one still starting).
    environment: { INGEST_MAX_ATTEMPTS: String(maxAttempts), PARSE_PROCESSES: "1" },
  });
  collectionId = (await createCollection({ db: folio.database.db, name: "queue faults" })).collection.id;
});
afterAll(async () => folio?.close());

const db = () => folio.database.db;
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

const upload = (name: string, pages: string[][]) =>
  folio.ingest.accept({ collectionId, fileName: name, body: bytesOf(buildTextPdf({ pages })) });

function worker(options: Partial<WorkerOptions> = {}): IngestWorker {
  return new IngestWorker({
    db: db(),
    pipelineDependencies: () => folio.ingest.pipelineDependencies(),
    maxAttempts,
    retryBaseDelayMs: 1,
    pollIntervalMs: 20,
    log: () => {},
    ...options,
  });
}

/** A worker whose reads wait at a gate the test opens (`release`) or breaks (`fail`). */
function gatedWorker(options: Partial<WorkerOptions> = {}) {
  let release!: () => void;
  let fail!: (error: unknown) => void;
  const gate = new Promise<void>((resolve, reject) => {
    release = resolve;
    fail = reject;
  });
  gate.catch(() => {});
  let markReading!: () => void;
  const reading = new Promise<void>((resolve) => {
    markReading = resolve;
  });
  const gated = worker({
    pipelineDependencies: async () => {
      const dependencies = await folio.ingest.pipelineDependencies();
      return {
        ...dependencies,
        readDocument: async (input) => {
          markReading();
          await gate;
          return dependencies.readDocument(input);
        },
      };
    },
    ...options,
  });
  return { worker: gated, reading, release, fail };
}

async function settle(jobId: string, runner = worker()) {
  for (let round = 0; round < 100; round += 1) {
    await runner.runOnce();
    const job = await getJobById({ db: db(), id: jobId });
    if (job?.state === "succeeded" || job?.state === "failed") return job;
    await sleep(20);
  }
  throw new Error(`job ${jobId} never settled`);
}

const versionOf = async (versionId: string) =>
  (await getVersionWithDocument({ db: db(), versionId }))?.version;

const indexedEventsOf = (versionId: string) =>
  db()
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, "version.indexed"), eq(auditEvents.subject, `version:${versionId}`)));

const failedEventsOf = (versionId: string) =>
  db()
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, "version.failed"), eq(auditEvents.subject, `version:${versionId}`)));

/** What a stall (a long GC pause, a network partition) does to a lease: it runs out. */
const expireLease = (jobId: string) =>
  db()
    .update(ingestJobs)
    .set({ leaseUntil: sql`now() - interval '1 second'` })
    .where(eq(ingestJobs.id, jobId));

const within = <T>(promise: Promise<T>, milliseconds: number, what: string) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} took over ${milliseconds} ms`)), milliseconds).unref(),
    ),
  ]);

/**
 * A worker that claims the job, starts it (the pipeline marks the version processing) and then
 * dies: no heartbeat renews its lease, which runs out. `bury` lets its frozen run end afterwards.
 */
async function dieWhileRunning(jobId: string) {
  const dying = gatedWorker();
  const run = dying.worker.runOnce();
  await dying.reading;
  await expireLease(jobId);
  return {
    bury: async () => {
      dying.fail(new Error("never reached: the process was dead"));
      return run;
    },
  };
}

describe("a job whose worker process dies", () => {
  it("fails for good at the next claim once the deaths used up its attempts, with the reason", async () => {
    const accepted = await upload("poison.pdf", [["A file that kills every worker that reads it."]]);
    const deaths = [];
    for (let death = 1; death <= maxAttempts; death += 1) {
      deaths.push(await dieWhileRunning(accepted.jobId));
      expect(await getJobById({ db: db(), id: accepted.jobId })).toMatchObject({ attempts: death });
      expect(await versionOf(accepted.versionId)).toMatchObject({ status: "processing" });
    }

    expect(await worker().runOnce()).toBeUndefined();

    const job = await getJobById({ db: db(), id: accepted.jobId });
    expect(job).toMatchObject({
      state: "failed",
      attempts: maxAttempts,
      errorCode: "internal:worker_crashed",
    });
    expect(job?.errorMessage).toBe(
      `Processing stopped the worker ${maxAttempts} times (the process died); the file was not indexed.`,
    );
    expect(await versionOf(accepted.versionId)).toMatchObject({
      status: "failed",
      errorCode: "internal:worker_crashed",
      errorMessage: job?.errorMessage,
    });
    const events = await failedEventsOf(accepted.versionId);
    expect(events).toHaveLength(1);
    expect(events[0]?.actor).toBe("system");
    expect(JSON.parse(events[0]?.payload ?? "{}")).toMatchObject({
      errorCode: "internal:worker_crashed",
      attempts: maxAttempts,
    });

    for (const death of deaths) expect(await death.bury()).toMatchObject({ state: "lease_lost" });
    expect(await failedEventsOf(accepted.versionId)).toHaveLength(1);
    expect(await getJobById({ db: db(), id: accepted.jobId })).toMatchObject({ state: "failed" });
  });

  it("is run again, its version processing, while it has attempts left", async () => {
    const accepted = await upload("unlucky.pdf", [["The first worker to read this was killed."]]);
    const death = await dieWhileRunning(accepted.jobId);
    const job = await settle(accepted.jobId);
    expect(job).toMatchObject({ state: "succeeded", attempts: 2 });
    expect(await versionOf(accepted.versionId)).toMatchObject({ status: "indexed" });
    expect(await death.bury()).toMatchObject({ state: "lease_lost" });
    expect(await getJobById({ db: db(), id: accepted.jobId })).toMatchObject({ state: "succeeded" });
  });
});

describe("a worker whose lease was taken over", () => {
  it("cannot fail the job or its version for the worker that holds it now", async () => {
    const accepted = await upload("contested.pdf", [["Two workers believe they own this job."]]);
    const stale = gatedWorker();
    const current = gatedWorker();
    const staleRun = stale.worker.runOnce();
    await stale.reading;
    await expireLease(accepted.jobId);
    const currentRun = current.worker.runOnce();
    await current.reading;

    stale.fail(new AppError("invalid:pdf_malformed", { message: "The stale worker read garbage." }));
    expect(await staleRun).toMatchObject({ jobId: accepted.jobId, state: "lease_lost" });
    expect(await getJobById({ db: db(), id: accepted.jobId })).toMatchObject({
      state: "running",
      attempts: 2,
      errorCode: null,
    });
    expect(await versionOf(accepted.versionId)).toMatchObject({ status: "processing", errorCode: null });
    expect(await failedEventsOf(accepted.versionId)).toHaveLength(0);

    current.release();
    expect(await currentRun).toMatchObject({ state: "succeeded" });
    expect(await getJobById({ db: db(), id: accepted.jobId })).toMatchObject({ state: "succeeded" });
    expect(await versionOf(accepted.versionId)).toMatchObject({ status: "indexed" });
  });

  it("cannot mark the job succeeded while the worker that holds it now is still running it", async () => {
    const accepted = await upload("raced.pdf", [["The stale worker finishes first here."]]);
    const stale = gatedWorker();
    const current = gatedWorker();
    const staleRun = stale.worker.runOnce();
    await stale.reading;
    await expireLease(accepted.jobId);
    const currentRun = current.worker.runOnce();
    await current.reading;

    stale.release();
    expect(await staleRun).toMatchObject({ state: "lease_lost" });
    expect(await getJobById({ db: db(), id: accepted.jobId })).toMatchObject({
      state: "running",
      attempts: 2,
    });
    // Nor the version: it is not marked indexed, and the ledger records no indexing, by the stale run.
    expect((await versionOf(accepted.versionId))?.status).toBe("processing");
    expect(await indexedEventsOf(accepted.versionId)).toHaveLength(0);

    current.release();
    expect(await currentRun).toMatchObject({ state: "succeeded" });
    expect(await indexedEventsOf(accepted.versionId)).toHaveLength(1);
  });
});

describe("recording a failure", () => {
  it("puts the job back in the queue and its version back to queued, with the error shown", async () => {
    const accepted = await upload("flaky.pdf", [["A disk error interrupts this one once."]]);
    const flaky = gatedWorker();
    const run = flaky.worker.runOnce();
    await flaky.reading;
    flaky.fail(new Error("injected: EIO while reading the blob"));
    expect(await run).toMatchObject({ state: "retrying" });
    expect(await getJobById({ db: db(), id: accepted.jobId })).toMatchObject({
      state: "queued",
      errorCode: "internal:unexpected",
    });
    expect(await versionOf(accepted.versionId)).toMatchObject({
      status: "queued",
      errorCode: "internal:unexpected",
    });
    expect(await settle(accepted.jobId)).toMatchObject({ state: "succeeded", attempts: 2 });
  });

  it("changes neither the job nor its version when the version cannot be written", async () => {
    const accepted = await upload("half-written.pdf", [["The database refuses half of this failure."]]);
    await db().execute(sql`
      CREATE FUNCTION refuse_version_error() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected: the version row cannot be written'; END $$`);
    await db().execute(sql`
      CREATE TRIGGER refuse_version_error BEFORE UPDATE ON document_versions
      FOR EACH ROW WHEN (NEW.error_code IS NOT NULL) EXECUTE FUNCTION refuse_version_error()`);
    try {
      const flaky = gatedWorker();
      const run = flaky.worker.runOnce();
      await flaky.reading;
      flaky.fail(new Error("injected: EIO while reading the blob"));
      await expect(run).rejects.toThrow();
      expect(await getJobById({ db: db(), id: accepted.jobId })).toMatchObject({
        state: "running",
        stage: "reading",
        errorCode: null,
      });
      expect(await versionOf(accepted.versionId)).toMatchObject({ status: "processing", errorCode: null });
    } finally {
      await db().execute(sql`DROP TRIGGER refuse_version_error ON document_versions`);
      await db().execute(sql`DROP FUNCTION refuse_version_error()`);
    }
    // Its lease runs out and the job is taken over like a dead worker's.
    await expireLease(accepted.jobId);
    expect(await settle(accepted.jobId)).toMatchObject({ state: "succeeded", attempts: 2 });
  });
});

describe("IngestWorker.stop", () => {
  it("releases a job still running at the deadline, not counting the attempt, for another worker now", async () => {
    const accepted = await upload("interrupted.pdf", [["A shutdown interrupts the reading of this."]]);
    const stopping = gatedWorker();
    stopping.worker.start();
    await stopping.reading;
    try {
      await within(stopping.worker.stop({ deadlineMs: 100 }), 5_000, "stop({ deadlineMs: 100 })");
      const released = await getJobById({ db: db(), id: accepted.jobId });
      expect(released).toMatchObject({ state: "queued", attempts: 0, leaseUntil: null, leaseToken: null });
      expect(await versionOf(accepted.versionId)).toMatchObject({ status: "queued" });
      expect(await settle(accepted.jobId)).toMatchObject({ state: "succeeded", attempts: 1 });
    } finally {
      stopping.fail(new Error("the process exited"));
    }
  });

  it("also releases a job it runs through runOnce, outside its loops", async () => {
    const accepted = await upload("run-once.pdf", [["A single run interrupted by a shutdown."]]);
    const stopping = gatedWorker();
    const run = stopping.worker.runOnce();
    await stopping.reading;
    await within(stopping.worker.stop({ deadlineMs: 50 }), 5_000, "stop({ deadlineMs: 50 })");
    expect(await getJobById({ db: db(), id: accepted.jobId })).toMatchObject({
      state: "queued",
      attempts: 0,
    });
    stopping.fail(new Error("the process exited"));
    expect(await run).toMatchObject({ state: "lease_lost" });
    expect(await settle(accepted.jobId)).toMatchObject({ state: "succeeded", attempts: 1 });
  });

  it("stops claiming at once and lets a job that ends within the deadline finish", async () => {
    const finishing = await upload("finishing.pdf", [["This one ends before the deadline."]]);
    const stopping = gatedWorker({ concurrency: 1 });
    stopping.worker.start();
    await stopping.reading;
    const waiting = await upload("waiting.pdf", [["This one is not started by a stopping worker."]]);
    const stopped = stopping.worker.stop({ deadlineMs: 10_000 });
    setTimeout(() => stopping.release(), 50);
    await within(stopped, 10_000, "stop({ deadlineMs: 10_000 })");
    expect(await getJobById({ db: db(), id: finishing.jobId })).toMatchObject({ state: "succeeded" });
    expect(await getJobById({ db: db(), id: waiting.jobId })).toMatchObject({ state: "queued", attempts: 0 });
    expect(await settle(waiting.jobId)).toMatchObject({ state: "succeeded" });
  });
});

/** Passes the first page on, then kills the parser child as a crash in pdf.js (or the OOM killer) would. */
async function* crashAfterFirstPage<T>(pages: AsyncIterable<T>): AsyncIterable<T> {
  let isFirst = true;
  for await (const page of pages) {
    yield page;
    if (isFirst) for (const pid of folio.ingest.reader.parserProcessIds) process.kill(pid, "SIGKILL");
    isFirst = false;
  }
}

describe("a PDF whose parser child dies", () => {
  it("fails with a readable reason while the other documents of the batch index", async () => {
    const pages = Array.from({ length: 120 }, (_, index) => [
      `Page ${index + 1} of a long report that the parser never gets to the end of.`,
    ]);
    const poison = await upload("crashes-the-parser.pdf", pages);
    const healthy = await upload("healthy.pdf", [["A healthy document in the same batch."]]);
    const killing = worker({
      concurrency: 1,
      pipelineDependencies: async () => {
        const dependencies = await folio.ingest.pipelineDependencies();
        return {
          ...dependencies,
          readDocument: async (input) => {
            const read = await dependencies.readDocument(input);
            const poisonSha256 = (await versionOf(poison.versionId))?.sha256 ?? "?";
            return input.filePath.endsWith(poisonSha256)
              ? { ...read, pages: crashAfterFirstPage(read.pages) }
              : read;
          },
        };
      },
    });
    killing.start();
    try {
      for (const jobId of [poison.jobId, healthy.jobId]) {
        for (let round = 0; round < 300; round += 1) {
          const job = await getJobById({ db: db(), id: jobId });
          if (job?.state === "succeeded" || job?.state === "failed") break;
          await sleep(50);
        }
      }
    } finally {
      await killing.stop();
    }
    const failed = await getJobById({ db: db(), id: poison.jobId });
    expect(failed).toMatchObject({ state: "failed", attempts: 1, errorCode: "invalid:pdf_out_of_memory" });
    expect(failed?.errorMessage).toMatch(/crashed the reader/);
    expect(await versionOf(poison.versionId)).toMatchObject({ status: "failed" });
    expect(await getJobById({ db: db(), id: healthy.jobId })).toMatchObject({ state: "succeeded" });
    expect(await versionOf(healthy.versionId)).toMatchObject({ status: "indexed" });
  });
});

const hasPostgres = Boolean(process.env.DATABASE_URL);
if (!hasPostgres)
  console.warn(
    "[skip] ingest-queue-faults: a separate `npm run worker` process needs PostgreSQL (set DATABASE_URL)",
  );

/** A long document: the worker process is still reading it when the test stops the process. */
const longLedger = (name: string) =>
  Array.from({ length: 1500 }, (_, index) => [`Page ${index + 1} of the very long ledger ${name}.`]);

/**
 * `npm run worker` (ingest/worker-main.ts) in its own process, on this file's PostgreSQL
 * database and data directory; resolves once it is reading `jobId`.
 */
async function startWorkerProcess(
  jobId: string,
  { attempt = 1, environment = {} }: { attempt?: number; environment?: Record<string, string> } = {},
) {
  const child = spawn(process.execPath, ["--import", "tsx", "ingest/worker-main.ts"], {
    env: {
      ...process.env,
      DATABASE_URL: folio.config.databaseUrl,
      DATA_DIR: folio.dataDir,
      ...testModelEnvironment(folio.models, path.join(folio.dataDir, "models")),
      PARSE_PROCESSES: "1",
      INGEST_CONCURRENCY: "1",
      INGEST_MAX_ATTEMPTS: String(maxAttempts),
      ...environment,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  try {
    for (let round = 0; ; round += 1) {
      const job = await getJobById({ db: db(), id: jobId });
      if (job?.state === "running" && job.attempts === attempt && job.progress > 0) break;
      if (round > 1200)
        throw new Error(`the worker never started the job (${JSON.stringify(job)}):\n${output}`);
      await sleep(50);
    }
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return { child, exited };
}

describe("`npm run worker` killed while it runs a job", () => {
  it.skipIf(!hasPostgres)(
    "does not run the job a fourth time: the next claim fails it as a crash",
    async () => {
      const accepted = await upload("kills-the-worker.pdf", longLedger("kills-the-worker"));
      for (let death = 1; death <= maxAttempts; death += 1) {
        const worker = await startWorkerProcess(accepted.jobId, { attempt: death });
        worker.child.kill("SIGKILL");
        await worker.exited;
        expect(await getJobById({ db: db(), id: accepted.jobId })).toMatchObject({
          state: "running",
          attempts: death,
        });
        expect(await versionOf(accepted.versionId)).toMatchObject({ status: "processing" });
        await expireLease(accepted.jobId);
      }
      expect(await worker().runOnce()).toBeUndefined();
      expect(await getJobById({ db: db(), id: accepted.jobId })).toMatchObject({
        state: "failed",
        attempts: maxAttempts,
        errorCode: "internal:worker_crashed",
      });
      expect(await versionOf(accepted.versionId)).toMatchObject({
        status: "failed",
        errorCode: "internal:worker_crashed",
      });
      expect(await failedEventsOf(accepted.versionId)).toHaveLength(1);
    },
    180_000,
  );
});

describe("`npm run worker` on SIGTERM", () => {
  it.skipIf(!hasPostgres)(
    "gives the running job back to the queue at the deadline and exits",
    async () => {
      const accepted = await upload("long-ledger.pdf", longLedger("interrupted"));
      const worker = await startWorkerProcess(accepted.jobId, {
        environment: { SHUTDOWN_DEADLINE_SECONDS: "0" },
      });
      try {
        worker.child.kill("SIGTERM");
        expect(await within(worker.exited, 30_000, "the worker's exit")).toBe(0);
      } finally {
        worker.child.kill("SIGKILL");
      }
      expect(await getJobById({ db: db(), id: accepted.jobId })).toMatchObject({
        state: "queued",
        attempts: 0,
        leaseToken: null,
      });
      expect(await versionOf(accepted.versionId)).toMatchObject({ status: "queued" });
    },
    120_000,
  );
});
