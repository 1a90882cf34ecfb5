import { randomUUID } from "node:crypto";
import { and, desc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Database, Executor } from "../client";
import { documents, documentVersions, type IngestJob, ingestJobs } from "../schema";

const now = sql`now()`;
const inMilliseconds = (milliseconds: number) => sql`now() + make_interval(secs => ${milliseconds / 1000})`;

/** The right to write a running job: its id and the token its claim drew. */
export interface JobLease {
  jobId: string;
  leaseToken: string;
}

/** Only the holder of the current lease, while the job runs. */
const heldBy = (lease: JobLease) =>
  and(
    eq(ingestJobs.id, lease.jobId),
    eq(ingestJobs.leaseToken, lease.leaseToken),
    eq(ingestJobs.state, "running"),
  );

/**
 * Whether this worker still holds the job's lease, locking the job row until the transaction
 * ends: a result recorded in that transaction cannot race a worker taking the job over.
 */
export async function holdsJobLease({ db, lease }: { db: Executor; lease: JobLease }): Promise<boolean> {
  const rows = await db.select({ id: ingestJobs.id }).from(ingestJobs).where(heldBy(lease)).for("update");
  return rows.length > 0;
}

/** The lease a claimed job carries. */
export function leaseOf(job: IngestJob): JobLease {
  if (!job.leaseToken) throw new Error(`job ${job.id} is not claimed`);
  return { jobId: job.id, leaseToken: job.leaseToken };
}

/**
 * Takes the oldest runnable job: queued and not backing off, or running with an expired lease
 * (its worker died). `FOR UPDATE SKIP LOCKED` lets any number of workers claim concurrently
 * without taking the same job. Each claim draws a new lease token (see `JobLease`).
 *
 * A dead worker's job that already used `maxAttempts` is not run again (a file that kills the
 * process would crash-loop it): `failAbandoned` fails it for good in the claim's transaction,
 * under a lease of its own, and the claim goes on to the next job.
 */
export async function claimNextJob({
  db,
  leaseMs,
  maxAttempts,
  failAbandoned,
}: {
  db: Database;
  leaseMs: number;
  maxAttempts: number;
  /** Must take the job out of the queue (e.g. `finishJob` with a failure). */
  failAbandoned: (tx: Executor, job: IngestJob & { leaseToken: string }) => Promise<void>;
}): Promise<IngestJob | undefined> {
  for (;;) {
    const claim = await db.transaction(async (tx) => {
      const [candidate] = await tx
        .select()
        .from(ingestJobs)
        .where(
          or(
            and(
              eq(ingestJobs.state, "queued"),
              or(isNull(ingestJobs.leaseUntil), lt(ingestJobs.leaseUntil, now)),
            ),
            and(eq(ingestJobs.state, "running"), lt(ingestJobs.leaseUntil, now)),
          ),
        )
        .orderBy(ingestJobs.createdAt)
        .limit(1)
        .for("update", { skipLocked: true });
      if (!candidate) return { job: undefined };
      if (candidate.state === "running" && candidate.attempts >= maxAttempts) {
        // This claim takes the dead worker's lease only to end the job.
        const leaseToken = randomUUID();
        await tx.update(ingestJobs).set({ leaseToken }).where(eq(ingestJobs.id, candidate.id));
        await failAbandoned(tx, { ...candidate, leaseToken });
        return "abandoned" as const;
      }
      const [job] = await tx
        .update(ingestJobs)
        .set({
          state: "running",
          stage: "starting",
          progress: 0,
          attempts: sql`${ingestJobs.attempts} + 1`,
          leaseUntil: inMilliseconds(leaseMs),
          leaseToken: randomUUID(),
          updatedAt: now,
          errorCode: null,
          errorMessage: null,
        })
        .where(eq(ingestJobs.id, candidate.id))
        .returning();
      return { job };
    });
    if (claim !== "abandoned") return claim.job;
  }
}

/** Extends the lease of a job this worker holds; false when the job is no longer ours to run. */
export async function renewJobLease({
  db,
  lease,
  leaseMs,
}: {
  db: Database;
  lease: JobLease;
  leaseMs: number;
}): Promise<boolean> {
  const rows = await db
    .update(ingestJobs)
    .set({ leaseUntil: inMilliseconds(leaseMs), updatedAt: now })
    .where(heldBy(lease))
    .returning({ id: ingestJobs.id });
  return rows.length > 0;
}

/** Records the stage and progress of a job this worker holds; false when it is not ours any more. */
export async function reportJobProgress({
  db,
  lease,
  stage,
  progress,
}: {
  db: Database;
  lease: JobLease;
  stage: string;
  progress: number;
}): Promise<boolean> {
  const rows = await db
    .update(ingestJobs)
    .set({ stage, progress: Math.max(0, Math.min(1, progress)), updatedAt: now })
    .where(heldBy(lease))
    .returning({ id: ingestJobs.id });
  return rows.length > 0;
}

/** Ends a job this worker holds; false (and nothing written) when it is not ours any more. */
export async function finishJob({
  db,
  lease,
  outcome,
}: {
  db: Executor;
  lease: JobLease;
  outcome: { state: "succeeded" } | { state: "failed"; errorCode: string; errorMessage: string };
}): Promise<boolean> {
  const failure = outcome.state === "failed" ? outcome : undefined;
  const rows = await db
    .update(ingestJobs)
    .set({
      state: outcome.state,
      stage: outcome.state === "succeeded" ? "done" : "failed",
      progress: outcome.state === "succeeded" ? 1 : sql`${ingestJobs.progress}`,
      leaseUntil: null,
      leaseToken: null,
      errorCode: failure?.errorCode ?? null,
      errorMessage: failure?.errorMessage ?? null,
      finishedAt: now,
      updatedAt: now,
    })
    .where(heldBy(lease))
    .returning({ id: ingestJobs.id });
  return rows.length > 0;
}

/**
 * Puts a job this worker holds back in the queue after a transient fault (runnable after
 * `delayMs`), and its version back to queued with the error shown, in one transaction: a version
 * never stays "processing" without a job running it. False (nothing written) when not ours.
 */
export async function retryJobLater({
  db,
  lease,
  delayMs,
  errorCode,
  errorMessage,
}: {
  db: Database;
  lease: JobLease;
  delayMs: number;
  errorCode: string;
  errorMessage: string;
}): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [job] = await tx
      .update(ingestJobs)
      .set({
        state: "queued",
        stage: "retrying",
        leaseUntil: inMilliseconds(delayMs),
        leaseToken: null,
        errorCode,
        errorMessage,
        updatedAt: now,
      })
      .where(heldBy(lease))
      .returning({ versionId: ingestJobs.versionId });
    if (!job) return false;
    await queueVersionAgain(tx, job.versionId, { errorCode, errorMessage });
    return true;
  });
}

/**
 * Gives a job this worker holds back to the queue at once, as if it had not been claimed (the
 * attempt is not counted against the limit), with its version queued again: for a shutdown that
 * could not wait for the job. False (nothing written) when not ours.
 */
export async function releaseJob({ db, lease }: { db: Database; lease: JobLease }): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [job] = await tx
      .update(ingestJobs)
      .set({
        state: "queued",
        stage: "queued",
        progress: 0,
        attempts: sql`greatest(${ingestJobs.attempts} - 1, 0)`,
        leaseUntil: null,
        leaseToken: null,
        updatedAt: now,
      })
      .where(heldBy(lease))
      .returning({ versionId: ingestJobs.versionId });
    if (!job) return false;
    await queueVersionAgain(tx, job.versionId, {});
    return true;
  });
}

/** A version that was being processed waits in the queue again (an indexed one stays indexed). */
async function queueVersionAgain(
  tx: Executor,
  versionId: string,
  error: { errorCode?: string; errorMessage?: string },
): Promise<void> {
  await tx
    .update(documentVersions)
    .set({ status: "queued", ...error })
    .where(
      and(eq(documentVersions.id, versionId), inArray(documentVersions.status, ["queued", "processing"])),
    );
}

/** Queues a finished version's job again (from its first attempt). */
export async function requeueJobOfVersion({
  db,
  versionId,
}: {
  db: Executor;
  versionId: string;
}): Promise<IngestJob | undefined> {
  const [job] = await db
    .select({ id: ingestJobs.id })
    .from(ingestJobs)
    .where(eq(ingestJobs.versionId, versionId));
  return job ? requeueJob({ db, jobId: job.id }) : undefined;
}

export async function requeueJob({
  db,
  jobId,
}: {
  db: Executor;
  jobId: string;
}): Promise<IngestJob | undefined> {
  const [job] = await db
    .update(ingestJobs)
    .set({
      state: "queued",
      stage: "queued",
      progress: 0,
      attempts: 0,
      leaseUntil: null,
      leaseToken: null,
      finishedAt: null,
      updatedAt: now,
    })
    .where(and(eq(ingestJobs.id, jobId), inArray(ingestJobs.state, ["failed", "succeeded"])))
    .returning();
  return job;
}

export interface JobListing {
  job: IngestJob;
  documentId: string;
  documentTitle: string;
  collectionId: string;
  versionId: string;
  pageCount: number | null;
  chunkCount: number | null;
}

export async function listJobs({
  db,
  collectionIds,
  limit = 200,
}: {
  db: Database;
  collectionIds: readonly string[];
  limit?: number;
}): Promise<JobListing[]> {
  if (collectionIds.length === 0) return [];
  return db
    .select({
      job: ingestJobs,
      documentId: documents.id,
      documentTitle: documents.title,
      collectionId: documents.collectionId,
      versionId: documentVersions.id,
      pageCount: documentVersions.pageCount,
      chunkCount: documentVersions.chunkCount,
    })
    .from(ingestJobs)
    .innerJoin(documentVersions, eq(documentVersions.id, ingestJobs.versionId))
    .innerJoin(documents, eq(documents.id, documentVersions.documentId))
    .where(inArray(documents.collectionId, [...collectionIds]))
    .orderBy(desc(ingestJobs.createdAt))
    .limit(limit);
}

export async function getJobById({ db, id }: { db: Database; id: string }): Promise<IngestJob | undefined> {
  const [job] = await db.select().from(ingestJobs).where(eq(ingestJobs.id, id));
  return job;
}
