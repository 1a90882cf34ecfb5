import { and, desc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Database, Executor } from "../client";
import { documents, documentVersions, type IngestJob, ingestJobs } from "../schema";

const now = sql`now()`;
const inMilliseconds = (milliseconds: number) => sql`now() + make_interval(secs => ${milliseconds / 1000})`;

/**
 * Takes the oldest runnable job: queued and not backing off, or running with an expired lease
 * (its worker died). `FOR UPDATE SKIP LOCKED` lets any number of workers claim concurrently
 * without taking the same job.
 */
export async function claimNextJob({
  db,
  leaseMs,
}: {
  db: Database;
  leaseMs: number;
}): Promise<IngestJob | undefined> {
  const runnable = db
    .select({ id: ingestJobs.id })
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
  const [job] = await db
    .update(ingestJobs)
    .set({
      state: "running",
      attempts: sql`${ingestJobs.attempts} + 1`,
      leaseUntil: inMilliseconds(leaseMs),
      updatedAt: now,
      errorCode: null,
      errorMessage: null,
    })
    .where(inArray(ingestJobs.id, runnable))
    .returning();
  return job;
}

/** Extends the lease of a job this worker holds; false when the job is no longer ours to run. */
export async function renewJobLease({
  db,
  jobId,
  leaseMs,
}: {
  db: Database;
  jobId: string;
  leaseMs: number;
}): Promise<boolean> {
  const rows = await db
    .update(ingestJobs)
    .set({ leaseUntil: inMilliseconds(leaseMs), updatedAt: now })
    .where(and(eq(ingestJobs.id, jobId), eq(ingestJobs.state, "running")))
    .returning({ id: ingestJobs.id });
  return rows.length > 0;
}

export async function reportJobProgress({
  db,
  jobId,
  stage,
  progress,
}: {
  db: Database;
  jobId: string;
  stage: string;
  progress: number;
}): Promise<void> {
  await db
    .update(ingestJobs)
    .set({ stage, progress: Math.max(0, Math.min(1, progress)), updatedAt: now })
    .where(and(eq(ingestJobs.id, jobId), eq(ingestJobs.state, "running")));
}

export async function finishJob({
  db,
  jobId,
  outcome,
}: {
  db: Executor;
  jobId: string;
  outcome: { state: "succeeded" } | { state: "failed"; errorCode: string; errorMessage: string };
}): Promise<void> {
  const failure = outcome.state === "failed" ? outcome : undefined;
  await db
    .update(ingestJobs)
    .set({
      state: outcome.state,
      stage: outcome.state === "succeeded" ? "done" : "failed",
      progress: outcome.state === "succeeded" ? 1 : sql`${ingestJobs.progress}`,
      leaseUntil: null,
      errorCode: failure?.errorCode ?? null,
      errorMessage: failure?.errorMessage ?? null,
      finishedAt: now,
      updatedAt: now,
    })
    .where(eq(ingestJobs.id, jobId));
}

/** Puts a job back in the queue after a transient fault; it becomes runnable after `delayMs`. */
export async function retryJobLater({
  db,
  jobId,
  delayMs,
  errorCode,
  errorMessage,
}: {
  db: Database;
  jobId: string;
  delayMs: number;
  errorCode: string;
  errorMessage: string;
}): Promise<void> {
  await db
    .update(ingestJobs)
    .set({
      state: "queued",
      stage: "retrying",
      leaseUntil: inMilliseconds(delayMs),
      errorCode,
      errorMessage,
      updatedAt: now,
    })
    .where(eq(ingestJobs.id, jobId));
}

/** Queues a finished job again (e.g. after its model was installed). */
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
