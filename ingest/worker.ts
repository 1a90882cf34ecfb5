import type { Database } from "../db/client";
import { getVersionWithDocument, updateVersion } from "../db/queries/documents";
import {
  claimNextJob,
  finishJob,
  renewJobLease,
  reportJobProgress,
  retryJobLater,
} from "../db/queries/ingest-jobs";
import type { IngestJob } from "../db/schema";
import { appendAuditEvent } from "../lib/audit/append-audit-event";
import { type AppError, asAppError } from "../lib/errors";
import { type IngestOutcome, type PipelineDependencies, runIngestJob } from "./pipeline";

export interface WorkerOptions {
  db: Database;
  /** Resolves when the models are loaded; rejects (AppError "unavailable") while one is missing. */
  pipelineDependencies: () => Promise<PipelineDependencies>;
  /** A job that failed for a transient reason this many times fails for good. */
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
  | { jobId: string; state: "retrying"; error: AppError };

/** File problems are permanent; a missing model, a database outage or a crash may pass. */
const permanentCategories = new Set(["invalid", "unsupported", "too_large", "not_found"]);

/** Minimum interval between progress writes to the database. */
const progressWriteIntervalMs = 250;

/**
 * Runs ingest jobs from the durable queue, `concurrency` at a time per worker. Any number of
 * workers, in any number of processes, can share a queue: claims use row locks and leases.
 */
export class IngestWorker {
  private isRunning = false;
  private loops: Promise<void>[] = [];
  private readonly wakeUps = new Set<() => void>();
  private lastWaitReason = "";

  constructor(private readonly options: WorkerOptions) {}

  start(): void {
    if (this.isRunning) return;
    this.isRunning = true;
    this.loops = Array.from({ length: Math.max(1, this.options.concurrency ?? 1) }, () => this.run());
  }

  /** Looks for work now instead of at the next poll (called after an upload). */
  wake(): void {
    for (const wakeUp of [...this.wakeUps]) wakeUp();
  }

  async stop(): Promise<void> {
    this.isRunning = false;
    this.wake();
    await Promise.all(this.loops);
  }

  /**
   * Claims and runs one job if there is one and the models are ready. Returns undefined when
   * there was nothing it could do.
   */
  async runOnce(): Promise<JobResult | undefined> {
    const { db } = this.options;
    const dependencies = await this.options.pipelineDependencies();
    const leaseMs = this.options.leaseMs ?? 60_000;
    const job = await claimNextJob({ db, leaseMs });
    if (!job) return undefined;
    return this.process(job, dependencies, leaseMs);
  }

  private async process(
    job: IngestJob,
    dependencies: PipelineDependencies,
    leaseMs: number,
  ): Promise<JobResult> {
    const { db } = this.options;
    const heartbeat = setInterval(
      () => void renewJobLease({ db, jobId: job.id, leaseMs }).catch(() => {}),
      leaseMs / 3,
    );
    let lastWriteAt = 0;
    let progressWrite: Promise<void> = Promise.resolve();
    try {
      const outcome = await runIngestJob(dependencies, job, (stage, progress) => {
        const now = Date.now();
        if (now - lastWriteAt < progressWriteIntervalMs && progress < 1) return;
        lastWriteAt = now;
        progressWrite = progressWrite
          .then(() => reportJobProgress({ db, jobId: job.id, stage, progress }))
          .catch(() => {});
      });
      await progressWrite;
      await finishJob({ db, jobId: job.id, outcome: { state: "succeeded" } });
      this.log(`job ${job.id}: indexed ${outcome.pageCount} pages, ${outcome.chunkCount} chunks`);
      return { jobId: job.id, state: "succeeded", outcome };
    } catch (thrown) {
      await progressWrite;
      return this.recordFailure(job, asAppError(thrown));
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async recordFailure(job: IngestJob, error: AppError): Promise<JobResult> {
    const { db } = this.options;
    const isPermanent = permanentCategories.has(error.category) || job.attempts >= this.options.maxAttempts;
    const message =
      error.category === "internal" ? "Processing failed unexpectedly; see the server log." : error.message;
    if (error.category === "internal") console.error(`job ${job.id} failed:`, error.cause ?? error);
    if (!isPermanent) {
      const delayMs = (this.options.retryBaseDelayMs ?? 1_000) * 2 ** job.attempts;
      await retryJobLater({ db, jobId: job.id, delayMs, errorCode: error.code, errorMessage: message });
      this.log(`job ${job.id}: ${error.code}, retrying in ${delayMs} ms`);
      return { jobId: job.id, state: "retrying", error };
    }
    await db.transaction(async (tx) => {
      await finishJob({
        db: tx,
        jobId: job.id,
        outcome: { state: "failed", errorCode: error.code, errorMessage: message },
      });
      // A version deleted while it was being read fails with it, but there is nothing left to mark.
      const found = await getVersionWithDocument({ db: tx, versionId: job.versionId });
      if (!found) return;
      await updateVersion({
        db: tx,
        versionId: job.versionId,
        changes: { status: "failed", errorCode: error.code, errorMessage: message },
      });
      await appendAuditEvent(tx, {
        actor: "system",
        action: "version.failed",
        subject: `version:${job.versionId}`,
        payload: {
          versionId: job.versionId,
          documentId: found.document.id,
          collectionId: found.document.collectionId,
          errorCode: error.code,
          attempts: job.attempts,
        },
      });
    });
    this.log(`job ${job.id}: failed (${error.code}) ${message}`);
    return { jobId: job.id, state: "failed", error };
  }

  private async run(): Promise<void> {
    while (this.isRunning) {
      let idleMs = this.options.pollIntervalMs ?? 1_000;
      try {
        const result = await this.runOnce();
        this.lastWaitReason = "";
        if (result) continue;
      } catch (thrown) {
        const error = asAppError(thrown);
        const reason = `${error.code}: ${error.message}`;
        if (reason !== this.lastWaitReason) this.log(`ingest waiting — ${reason}`);
        this.lastWaitReason = reason;
        idleMs = Math.max(idleMs, 5_000);
      }
      await new Promise<void>((resolve) => {
        const wakeUp = () => {
          clearTimeout(timer);
          this.wakeUps.delete(wakeUp);
          resolve();
        };
        const timer = setTimeout(wakeUp, idleMs);
        this.wakeUps.add(wakeUp);
      });
    }
  }

  private log(message: string): void {
    (this.options.log ?? console.info)(`[ingest] ${message}`);
  }
}
