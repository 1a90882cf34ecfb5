import { randomUUID } from "node:crypto";
import { and, desc, eq, inArray, lt, ne, notExists, or, sql } from "drizzle-orm";
import type { Database, Executor } from "../client";
import {
  documents,
  documentVersions,
  type GoldenModelIds,
  type GoldenOutcome,
  type GoldenRun,
  goldenRuns,
  ingestJobs,
} from "../schema";

const now = sql`now()`;
const inMilliseconds = (milliseconds: number) => sql`now() + make_interval(secs => ${milliseconds / 1000})`;

export type GoldenTrigger = GoldenRun["trigger"];

/** The right to write a running golden run: its id and the token its claim drew. */
export interface GoldenRunLease {
  runId: string;
  leaseToken: string;
}

const heldBy = (lease: GoldenRunLease) =>
  and(
    eq(goldenRuns.id, lease.runId),
    eq(goldenRuns.leaseToken, lease.leaseToken),
    eq(goldenRuns.state, "running"),
  );

/**
 * Queues a run of the collection's golden questions, or joins the one already queued there (at
 * most one is queued per collection). Joining restarts its quiet period (`requestedAt`) and keeps
 * the strongest reason: manual over model change over re-index.
 */
export async function enqueueGoldenRun({
  db,
  collectionId,
  trigger,
  requestedBy,
}: {
  db: Executor;
  collectionId: string;
  trigger: GoldenTrigger;
  requestedBy: string;
}): Promise<GoldenRun> {
  const [row] = await db
    .insert(goldenRuns)
    .values({ collectionId, trigger, requestedBy })
    .onConflictDoUpdate({
      target: goldenRuns.collectionId,
      targetWhere: sql`${goldenRuns.state} = 'queued'`,
      set: {
        requestedAt: now,
        trigger: sql`case
          when excluded.trigger = 'manual' or ${goldenRuns.trigger} = 'manual' then 'manual'
          when excluded.trigger = 'model_change' or ${goldenRuns.trigger} = 'model_change' then 'model_change'
          else 'reindex' end::golden_run_trigger`,
        requestedBy: sql`case when excluded.trigger = 'manual' then excluded.requested_by else ${goldenRuns.requestedBy} end`,
      },
    })
    .returning();
  if (!row) throw new Error("golden run enqueue returned nothing");
  return row;
}

/** Ingest jobs of the collection still waiting or running: a run waits until its index settles. */
const ingestPendingIn = (collectionId: typeof goldenRuns.collectionId) =>
  sql`(select 1 from ${ingestJobs}
      join ${documentVersions} on ${documentVersions.id} = ${ingestJobs.versionId}
      join ${documents} on ${documents.id} = ${documentVersions.documentId}
      where ${documents.collectionId} = ${collectionId} and ${ingestJobs.state} in ('queued', 'running'))`;

/**
 * Takes the oldest runnable golden run: queued, its collection's index settled (no ingest job
 * queued or running there) and, for a re-index, quiet for `quietMs` since the last trigger; or
 * running with an expired lease (its worker died). `FOR UPDATE SKIP LOCKED` lets several workers
 * claim at once. A dead worker's run that already used `maxAttempts` fails instead.
 */
export async function claimNextGoldenRun({
  db,
  leaseMs,
  quietMs,
  maxAttempts,
}: {
  db: Database;
  leaseMs: number;
  quietMs: number;
  maxAttempts: number;
}): Promise<GoldenRun | undefined> {
  for (;;) {
    const claim = await db.transaction(async (tx) => {
      const [candidate] = await tx
        .select()
        .from(goldenRuns)
        .where(
          or(
            and(
              eq(goldenRuns.state, "queued"),
              or(
                ne(goldenRuns.trigger, "reindex"),
                lt(goldenRuns.requestedAt, sql`now() - make_interval(secs => ${quietMs / 1000})`),
              ),
              notExists(ingestPendingIn(goldenRuns.collectionId)),
            ),
            and(eq(goldenRuns.state, "running"), lt(goldenRuns.leaseUntil, now)),
          ),
        )
        .orderBy(goldenRuns.createdAt)
        .limit(1)
        .for("update", { skipLocked: true });
      if (!candidate) return { run: undefined };
      if (candidate.state === "running" && candidate.attempts >= maxAttempts) {
        await tx
          .update(goldenRuns)
          .set({
            state: "failed",
            leaseUntil: null,
            leaseToken: null,
            errorCode: "internal:worker_crashed",
            errorMessage: `The worker running these questions stopped ${candidate.attempts} times; the run was given up.`,
            finishedAt: now,
          })
          .where(eq(goldenRuns.id, candidate.id));
        return "abandoned" as const;
      }
      const [run] = await tx
        .update(goldenRuns)
        .set({
          state: "running",
          attempts: sql`${goldenRuns.attempts} + 1`,
          leaseUntil: inMilliseconds(leaseMs),
          leaseToken: randomUUID(),
          startedAt: now,
          errorCode: null,
          errorMessage: null,
        })
        .where(eq(goldenRuns.id, candidate.id))
        .returning();
      return { run };
    });
    if (claim !== "abandoned") return claim.run;
  }
}

export function goldenLeaseOf(run: GoldenRun): GoldenRunLease {
  if (!run.leaseToken) throw new Error(`golden run ${run.id} is not claimed`);
  return { runId: run.id, leaseToken: run.leaseToken };
}

export async function renewGoldenRunLease({
  db,
  lease,
  leaseMs,
}: {
  db: Database;
  lease: GoldenRunLease;
  leaseMs: number;
}): Promise<boolean> {
  const rows = await db
    .update(goldenRuns)
    .set({ leaseUntil: inMilliseconds(leaseMs) })
    .where(heldBy(lease))
    .returning({ id: goldenRuns.id });
  return rows.length > 0;
}

/** Locks the run row while the lease is ours, so its result commits only from its holder. */
export async function holdsGoldenRunLease({
  db,
  lease,
}: {
  db: Executor;
  lease: GoldenRunLease;
}): Promise<boolean> {
  const rows = await db.select({ id: goldenRuns.id }).from(goldenRuns).where(heldBy(lease)).for("update");
  return rows.length > 0;
}

export interface GoldenRunFigures {
  modelIds: GoldenModelIds;
  k: number;
  depth: number;
  questionCount: number;
  hitCount: number;
  recallAtK: number;
  recallAtDepth: number;
  outcomes: GoldenOutcome[];
  previousRunId: string | null;
  isAlert: boolean;
  alertDrop: number | null;
}

/** Records a finished run's figures; false (nothing written) when the lease is not ours any more. */
export async function completeGoldenRun({
  db,
  lease,
  figures,
}: {
  db: Executor;
  lease: GoldenRunLease;
  figures: GoldenRunFigures;
}): Promise<GoldenRun | undefined> {
  const [row] = await db
    .update(goldenRuns)
    .set({ ...figures, state: "done", leaseUntil: null, leaseToken: null, finishedAt: now })
    .where(heldBy(lease))
    .returning();
  return row;
}

export async function failGoldenRun({
  db,
  lease,
  errorCode,
  errorMessage,
}: {
  db: Executor;
  lease: GoldenRunLease;
  errorCode: string;
  errorMessage: string;
}): Promise<boolean> {
  const rows = await db
    .update(goldenRuns)
    .set({ state: "failed", leaseUntil: null, leaseToken: null, errorCode, errorMessage, finishedAt: now })
    .where(heldBy(lease))
    .returning({ id: goldenRuns.id });
  return rows.length > 0;
}

/**
 * Gives a run this worker holds back to the queue (a shutdown that could not wait, models not
 * loaded), its attempt not counted. When another run of the collection was queued meanwhile,
 * that one stands for both and this one is removed.
 */
export async function releaseGoldenRun({
  db,
  lease,
}: {
  db: Database;
  lease: GoldenRunLease;
}): Promise<void> {
  await db.transaction(async (tx) => {
    const [held] = await tx.select().from(goldenRuns).where(heldBy(lease)).for("update");
    if (!held) return;
    const [queued] = await tx
      .select({ id: goldenRuns.id })
      .from(goldenRuns)
      .where(and(eq(goldenRuns.collectionId, held.collectionId), eq(goldenRuns.state, "queued")));
    if (queued) {
      await tx.delete(goldenRuns).where(eq(goldenRuns.id, held.id));
      return;
    }
    await tx
      .update(goldenRuns)
      .set({
        state: "queued",
        attempts: sql`greatest(${goldenRuns.attempts} - 1, 0)`,
        leaseUntil: null,
        leaseToken: null,
        startedAt: null,
      })
      .where(eq(goldenRuns.id, held.id));
  });
}

/** Runs of a collection, newest first. */
export async function listGoldenRuns({
  db,
  collectionId,
  limit = 100,
}: {
  db: Executor;
  collectionId: string;
  limit?: number;
}): Promise<GoldenRun[]> {
  return db
    .select()
    .from(goldenRuns)
    .where(eq(goldenRuns.collectionId, collectionId))
    .orderBy(desc(goldenRuns.createdAt))
    .limit(limit);
}

/** The newest completed run of the collection, other than `exceptRunId`. */
export async function getLatestDoneGoldenRun({
  db,
  collectionId,
  exceptRunId,
}: {
  db: Executor;
  collectionId: string;
  exceptRunId?: string;
}): Promise<GoldenRun | undefined> {
  const [row] = await db
    .select()
    .from(goldenRuns)
    .where(
      and(
        eq(goldenRuns.collectionId, collectionId),
        eq(goldenRuns.state, "done"),
        exceptRunId ? ne(goldenRuns.id, exceptRunId) : undefined,
      ),
    )
    .orderBy(desc(goldenRuns.finishedAt))
    .limit(1);
  return row;
}

/** For each collection with a completed run, its newest one (the figures a scrape reports). */
export async function listLatestDoneGoldenRuns({
  db,
  collectionIds,
}: {
  db: Database;
  /** Only these; all when absent. */
  collectionIds?: readonly string[];
}): Promise<GoldenRun[]> {
  if (collectionIds && collectionIds.length === 0) return [];
  return db
    .selectDistinctOn([goldenRuns.collectionId])
    .from(goldenRuns)
    .where(
      and(
        eq(goldenRuns.state, "done"),
        collectionIds ? inArray(goldenRuns.collectionId, [...collectionIds]) : undefined,
      ),
    )
    .orderBy(goldenRuns.collectionId, desc(goldenRuns.finishedAt));
}
