import { asc, eq, inArray } from "drizzle-orm";
import type { Executor } from "../client";
import { type Collection, collections } from "../schema";

/** Creates the collection, or returns the one that already has this name. */
export async function createCollection({
  db,
  name,
  description = "",
}: {
  db: Executor;
  name: string;
  description?: string;
}): Promise<{ collection: Collection; isNew: boolean }> {
  const [inserted] = await db
    .insert(collections)
    .values({ name, description })
    .onConflictDoNothing()
    .returning();
  if (inserted) return { collection: inserted, isNew: true };
  const existing = await getCollectionByName({ db, name });
  if (!existing) throw new Error(`Collection ${name} vanished during creation`);
  return { collection: existing, isNew: false };
}

export async function listCollections({
  db,
  ids,
}: {
  db: Executor;
  /** Only these; all when absent. */
  ids?: readonly string[];
}): Promise<Collection[]> {
  if (ids && ids.length === 0) return [];
  return db
    .select()
    .from(collections)
    .where(ids ? inArray(collections.id, [...ids]) : undefined)
    .orderBy(asc(collections.name));
}

export async function getCollectionById({
  db,
  id,
}: {
  db: Executor;
  id: string;
}): Promise<Collection | undefined> {
  const [row] = await db.select().from(collections).where(eq(collections.id, id));
  return row;
}

export async function getCollectionByName({
  db,
  name,
}: {
  db: Executor;
  name: string;
}): Promise<Collection | undefined> {
  const [row] = await db.select().from(collections).where(eq(collections.name, name));
  return row;
}

export async function deleteCollectionRow({
  db,
  id,
}: {
  db: Executor;
  id: string;
}): Promise<Collection | undefined> {
  const [row] = await db.delete(collections).where(eq(collections.id, id)).returning();
  return row;
}
