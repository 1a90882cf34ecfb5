import { asc, eq } from "drizzle-orm";
import type { Database } from "../client";
import { type Collection, collections } from "../schema";

export async function createCollection({
  db,
  name,
  description = "",
}: {
  db: Database;
  name: string;
  description?: string;
}): Promise<{ collection: Collection; isNew: boolean }> {
  const [inserted] = await db
    .insert(collections)
    .values({ name, description })
    .onConflictDoNothing()
    .returning();
  if (inserted) return { collection: inserted, isNew: true };
  const [existing] = await db.select().from(collections).where(eq(collections.name, name));
  if (!existing) throw new Error(`Collection ${name} vanished during creation`);
  return { collection: existing, isNew: false };
}

export async function listCollections({ db }: { db: Database }): Promise<Collection[]> {
  return db.select().from(collections).orderBy(asc(collections.name));
}

export async function getCollectionById({
  db,
  id,
}: {
  db: Database;
  id: string;
}): Promise<Collection | undefined> {
  const [row] = await db.select().from(collections).where(eq(collections.id, id));
  return row;
}
