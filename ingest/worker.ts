import type { Database, Executor } from "../db/client";
import { getVersionWithDocument, updateVersion } from "../db/queries/documents";
import {
  claimNextJob,
  finishJob,
  getJobById,
  type JobLease,
  leaseOf,
  releaseJob,
  renewJobLease,
  reportJobProgress,
  retryJobLater,
} from "../db/queries/ingest-jobs";
import type { IngestJob } from "../db/schema";
import { appendAuditEvent } from "../lib/audit/append-audit-event";
import { type AppError, asAppError } from "../lib/errors";
import { getLogger } from "../lib/observability/log";
import { recordIngestPages, recordJobFailure } from "../lib/observability/metrics";
import { QueuePoller } from "../lib/queue-poller";
import { type IngestOutcome, type PipelineDependencies, runIngestJob } from "./pipeline";

export interface WorkerOptions {
  db: Database;
  /** Resolves when the models are loaded; rejects (AppError "unavailable") while one is missing. */
  pipelineDependencies: () => Promise<PipelineDependencies>;
  /**
   * A job fails for good after this many attempts: failed for a transient reason, or its worker
   * died while running it (then the next claim fails it instead of running it again).
   */
  maxAttempts: number;
  /** @default 60_000 — a dead worker's job is taken over after this long. */
  leaseMs?: number;
  /** @default 1_000 — how often an idle worker looks for work it was not told about. */
  pollIntervalMs?: number;
  /**
   * @default 1 — jobs run at once. Two overlap one document's stalls (OCR of a figure, the first
   * pages) with another's parsing and embedding; they share the PDF pool, OCR and the embedder.
   */
  concurrency?: number;
  /** @default 1_000 — a transient failure waits this × 2^attempts before the next try. */
  retryBaseDelayMs?: number;
  log?: (message: string) => void;
}

export type JobResult =
  | { jobId: string; state: "succeeded"; outcome: IngestOutcome }
  | { jobId: string; state: "failed"; error: AppError }
  | { jobId: string; state: "retrying"; error: AppError }
  /** The lease ran out and another worker took the job over: nothing of this run was recorded. */
  | { jobId: string; state: "lease_lost" };

export interface StopOptions {
  /**
   * How long running jobs may take to finish; those still running then are released to the
   * queue (not counted as an attempt) for another worker to take at once. @default no limit
   */
  deadlineMs?: number;
}

/** File problems are permanent; a missing model, a database outage or a crash may pass. */
const permanentCategories = new Set(["invalid", "unsupported", "too_large", "not_found"]);

/** Minimum interval between progress writes to the database. */
const progressWriteIntervalMs = 250;

/**
 * Runs ingest jobs from the durable queue, `concurrency` at a time per worker. Any number of
 * workers, in any number of processes, can share a queue: claims use row locks and leases, and
 * only the holder of a job's current lease can write its outcome.
 */
export class IngestWorker {
  private isStopping = false;
  private stopping: Promise<void> | undefined;
  private loops: Promise<void> | undefined;
  private readonly poller: QueuePoller;
  /** Jobs this worker is running (from its loops or a direct `runOnce`), by job id. */
  private readonly held = new Map<string, { lease: JobLease; run: Promise<JobResult> }>();

  constructor(private readonly options: WorkerOptions) {
    this.poller = new QueuePoller({
      step: async () => (await this.runOnce()) !== undefined,
      pollIntervalMs: options.pollIntervalMs ?? 1_000,
      onWaiting: (reason) => this.log(`ingest waiting — ${reason}`),
    });
  }

  start(): void {
    if (this.poller.running) return;
    this.isStopping = false;
    this.stopping = undefined;
    this.loops = this.poller.start(this.options.concurrency ?? 1);
  }

  /** Looks for work now instead of at the next poll (called after an upload). */
  wake(): void {
    this.poller.wake();
  }

  /**
   * Stops claiming at once and waits for the running jobs, up to `deadlineMs`; the jobs still
   * running then go back to the queue. Calling it again returns the same stop.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.stopping ??= this.shutDown(options.deadlineMs);
    return this.stopping;
  }

  private async shutDown(deadlineMs: number | undefined): Promise<void> {
    this.isStopping = true;
    this.poller.stop();
    const settled = Promise.allSettled([this.loops, ...[...this.held.values()].map(({ run }) => run)]);
    if (deadlineMs === undefined) return void (await settled);
    let timer: NodeJS.Timeout | undefined;
    const hasFinished = await Promise.race([
      settled.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), deadlineMs);
      }),
    ]);
    clearTimeout(timer);
    if (hasFinished) return;
    await Promise.all(
      [...this.held.values()].map(async ({ lease }) => {
        this.held.delete(lease.jobId);
        const isReleased = await releaseJob({ db: this.options.db, lease }).catch((error: unknown) => {
          this.log(`job ${lease.jobId}: could not release it (${String(error)}); its lease will run out`);
          return false;
        });
        if (isReleased) this.log(`job ${lease.jobId}: released to the queue at shutdown`);
      }),
    );
  }

  /**
   * Claims and runs one job if there is one and the models are ready. Returns undefined when
   * there was nothing it could do.
   */
  async runOnce(): Promise<JobResult | undefined> {
    const { db, maxAttempts } = this.options;
    const dependencies = await this.options.pipelineDependencies();
    if (this.isStopping) return undefined;
    const leaseMs = this.options.leaseMs ?? 60_000;
    const job = await claimNextJob({
      db,
      leaseMs,
      maxAttempts,
      failAbandoned: async (tx, abandoned) => {
        const failure = {
          code: "internal:worker_crashed",
          message: `Processing stopped the worker ${abandoned.attempts} times (the process died); the file was not indexed.`,
        };
        await failJobForGood(tx, abandoned, leaseOf(abandoned), failure);
        recordJobFailure(failure.code);
        this.log(`job ${abandoned.id}: failed (${failure.code}) ${failure.message}`);
      },
    });
    if (!job) return undefined;
    const lease = leaseOf(job);
    const run = this.process(job, lease, dependencies, leaseMs);
    this.held.set(job.id, { lease, run });
    try {
      return await run;
    } finally {
      this.held.delete(job.id);
    }
  }

  private async process(
    job: IngestJob,
    lease: JobLease,
    dependencies: PipelineDependencies,
    leaseMs: number,
  ): Promise<JobResult> {
    const { db } = this.options;
    let isLeaseLost = false;
    const loseLease = () => {
      if (isLeaseLost) return;
      isLeaseLost = true;
      this.log(`job ${job.id}: lease lost to another worker; this run records nothing`);
    };
    const heartbeat = setInterval(
      () =>
        void renewJobLease({ db, lease, leaseMs })
          .then((isOurs) => isOurs || loseLease())
          .catch(() => {}),
      leaseMs / 3,
    );
    let lastWriteAt = 0;
    let progressWrite: Promise<void> = Promise.resolve();
    try {
      const outcome = await runIngestJob(
        dependencies,
        { versionId: job.versionId, lease },
        (stage, progress) => {
          const now = Date.now();
          if (isLeaseLost || (now - lastWriteAt < progressWriteIntervalMs && progress < 1)) return;
          lastWriteAt = now;
          progressWrite = progressWrite
            .then(() => reportJobProgress({ db, lease, stage, progress }))
            .then((isOurs) => void (isOurs || loseLease()))
            .catch(() => {});
        },
      );
      await progressWrite;
      if (!(await finishJob({ db, lease, outcome: { state: "succeeded" } })) && (await this.isJobKept(job))) {
        loseLease();
        return { jobId: job.id, state: "lease_lost" };
      }
      recordIngestPages(outcome.pageCount);
      this.log(`job ${job.id}: indexed ${outcome.pageCount} pages, ${outcome.chunkCount} chunks`);
      return { jobId: job.id, state: "succeeded", outcome };
    } catch (thrown) {
      await progressWrite;
      return this.recordFailure(job, lease, asAppError(thrown));
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async recordFailure(job: IngestJob, lease: JobLease, error: AppError): Promise<JobResult> {
    const { db } = this.options;
    const isPermanent = permanentCategories.has(error.category) || job.attempts >= this.options.maxAttempts;
    const message =
      error.category === "internal" ? "Processing failed unexpectedly; see the server log." : error.message;
    if (error.category === "internal")
      getLogger().error(`job ${job.id} failed`, { error: error.cause ?? error });
    if (!isPermanent) {
      const delayMs = (this.options.retryBaseDelayMs ?? 1_000) * 2 ** job.attempts;
      if (!(await retryJobLater({ db, lease, delayMs, errorCode: error.code, errorMessage: message }))) {
        return this.leaseLost(job);
      }
      this.log(`job ${job.id}: ${error.code}, retrying in ${delayMs} ms`);
      return { jobId: job.id, state: "retrying", error };
    }
    const isOurs = await db.transaction((tx) =>
      failJobForGood(tx, job, lease, { code: error.code, message }),
    );
    if (!isOurs && (await this.isJobKept(job))) return this.leaseLost(job);
    recordJobFailure(error.code);
    this.log(`job ${job.id}: failed (${error.code}) ${message}`);
    return { jobId: job.id, state: "failed", error };
  }

  /**
   * Whether the job's row still exists. A deletion of its document removes it (and the version)
   * while it runs: then no write is ours to make, but no other worker took it either.
   */
  private async isJobKept(job: IngestJob): Promise<boolean> {
    return (await getJobById({ db: this.options.db, id: job.id })) !== undefined;
  }

  private leaseLost(job: IngestJob): JobResult {
    this.log(`job ${job.id}: lease lost to another worker; its failure here is not recorded`);
    return { jobId: job.id, state: "lease_lost" };
  }

  private log(message: string): void {
    (this.options.log ?? console.info)(`[ingest] ${message}`);
  }
}

/**
 * Fails a job for good with its version, and records `version.failed`, in the caller's
 * transaction — both when a run fails and when a claim finds a job whose workers kept dying.
 * False, with nothing written, when `lease` is no longer the job's.
 */
async function failJobForGood(
  tx: Executor,
  job: IngestJob,
  lease: JobLease,
  failure: { code: string; message: string },
): Promise<boolean> {
  const isOurs = await finishJob({
    db: tx,
    lease,
    outcome: { state: "failed", errorCode: failure.code, errorMessage: failure.message },
  });
  if (!isOurs) return false;
  // A version deleted while it was being read fails with it, but there is nothing left to mark.
  const found = await getVersionWithDocument({ db: tx, versionId: job.versionId });
  if (!found) return true;
  await updateVersion({
    db: tx,
    versionId: job.versionId,
    changes: { status: "failed", errorCode: failure.code, errorMessage: failure.message },
  });
  await appendAuditEvent(tx, {
    actor: "system",
    action: "version.failed",
    subject: `version:${job.versionId}`,
    payload: {
      versionId: job.versionId,
      documentId: found.document.id,
      collectionId: found.document.collectionId,
      errorCode: failure.code,
      attempts: job.attempts,
    },
  });
  return true;
}
