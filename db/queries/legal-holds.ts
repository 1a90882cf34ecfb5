import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Executor } from "../client";
import { type Collection, collections, type LegalHold, legalHolds, users } from "../schema";

export type HoldTarget = { collectionId: string } | { userId: string };

export async function insertLegalHold({
  db,
  target,
  reason,
  createdBy,
}: {
  db: Executor;
  target: HoldTarget;
  reason: string;
  createdBy: string;
}): Promise<LegalHold> {
  const [row] = await db
    .insert(legalHolds)
    .values({
      collectionId: "collectionId" in target ? target.collectionId : null,
      userId: "userId" in target ? target.userId : null,
      reason,
      createdBy,
    })
    .returning();
  if (!row) throw new Error("legal hold insert returned nothing");
  return row;
}

/** Marks an active hold released; undefined when there is no such hold or it was released already. */
export async function releaseLegalHold({
  db,
  id,
}: {
  db: Executor;
  id: string;
}): Promise<LegalHold | undefined> {
  const [row] = await db
    .update(legalHolds)
    .set({ releasedAt: sql`now()` })
    .where(and(eq(legalHolds.id, id), isNull(legalHolds.releasedAt)))
    .returning();
  return row;
}

export async function getLegalHoldById({
  db,
  id,
}: {
  db: Executor;
  id: string;
}): Promise<LegalHold | undefined> {
  const [row] = await db.select().from(legalHolds).where(eq(legalHolds.id, id));
  return row;
}

export interface LegalHoldListing {
  hold: LegalHold;
  collectionName: string | null;
  userEmail: string | null;
}

/** Every hold, active and released, newest first, with what it holds by name. */
export async function listLegalHolds({ db }: { db: Executor }): Promise<LegalHoldListing[]> {
  return db
    .select({ hold: legalHolds, collectionName: collections.name, userEmail: users.email })
    .from(legalHolds)
    .leftJoin(collections, eq(collections.id, legalHolds.collectionId))
    .leftJoin(users, eq(users.id, legalHolds.userId))
    .orderBy(desc(legalHolds.createdAt));
}

export async function listActiveCollectionHolds({
  db,
  collectionId,
}: {
  db: Executor;
  collectionId: string;
}): Promise<LegalHold[]> {
  return db
    .select()
    .from(legalHolds)
    .where(and(eq(legalHolds.collectionId, collectionId), isNull(legalHolds.releasedAt)))
    .orderBy(legalHolds.createdAt);
}

/**
 * Locks the collection's row until the transaction ends. A hold's insert checks its foreign key
 * with a key-share lock on the same row, so a deletion that read "no hold" under this lock cannot
 * miss a hold committed meanwhile (nor cascade it away).
 */
export async function lockCollectionRow({
  db,
  collectionId,
}: {
  db: Executor;
  collectionId: string;
}): Promise<Collection | undefined> {
  const [row] = await db.select().from(collections).where(eq(collections.id, collectionId)).for("update");
  return row;
}

/**
 * Holds wait for the caller's transaction to end (and it for holds being written), so a purge
 * deciding what is held sees every hold committed before it deletes.
 */
export async function lockLegalHolds({ tx }: { tx: Executor }): Promise<void> {
  await tx.execute(sql`LOCK TABLE legal_holds IN SHARE MODE`);
}
