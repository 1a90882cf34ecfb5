import { and, asc, eq, sql } from "drizzle-orm";
import type { Executor } from "../client";
import { type GoldenQuestion, goldenQuestions } from "../schema";

export interface GoldenQuestionFields {
  question: string;
  expectedDocumentId: string;
  expectedDocumentTitle: string;
  expectedPage: number | null;
}

export async function listGoldenQuestions({
  db,
  collectionId,
}: {
  db: Executor;
  collectionId: string;
}): Promise<GoldenQuestion[]> {
  return db
    .select()
    .from(goldenQuestions)
    .where(eq(goldenQuestions.collectionId, collectionId))
    .orderBy(asc(goldenQuestions.createdAt), asc(goldenQuestions.id));
}

export async function hasGoldenQuestions({
  db,
  collectionId,
}: {
  db: Executor;
  collectionId: string;
}): Promise<boolean> {
  const rows = await db
    .select({ id: goldenQuestions.id })
    .from(goldenQuestions)
    .where(eq(goldenQuestions.collectionId, collectionId))
    .limit(1);
  return rows.length > 0;
}

/** The collections that have at least one golden question. */
export async function listCollectionsWithGoldenQuestions({ db }: { db: Executor }): Promise<string[]> {
  const rows = await db.selectDistinct({ collectionId: goldenQuestions.collectionId }).from(goldenQuestions);
  return rows.map((row) => row.collectionId);
}

export async function insertGoldenQuestion({
  db,
  collectionId,
  createdBy,
  fields,
}: {
  db: Executor;
  collectionId: string;
  createdBy: string;
  fields: GoldenQuestionFields;
}): Promise<GoldenQuestion> {
  const [row] = await db
    .insert(goldenQuestions)
    .values({ collectionId, createdBy, ...fields })
    .returning();
  if (!row) throw new Error("golden question insert returned nothing");
  return row;
}

/** The question, only if it belongs to `collectionId`. */
export async function getGoldenQuestion({
  db,
  collectionId,
  id,
}: {
  db: Executor;
  collectionId: string;
  id: string;
}): Promise<GoldenQuestion | undefined> {
  const [row] = await db
    .select()
    .from(goldenQuestions)
    .where(and(eq(goldenQuestions.id, id), eq(goldenQuestions.collectionId, collectionId)));
  return row;
}

export async function updateGoldenQuestion({
  db,
  collectionId,
  id,
  fields,
}: {
  db: Executor;
  collectionId: string;
  id: string;
  fields: GoldenQuestionFields;
}): Promise<GoldenQuestion | undefined> {
  const [row] = await db
    .update(goldenQuestions)
    .set({ ...fields, updatedAt: sql`now()` })
    .where(and(eq(goldenQuestions.id, id), eq(goldenQuestions.collectionId, collectionId)))
    .returning();
  return row;
}

export async function deleteGoldenQuestion({
  db,
  collectionId,
  id,
}: {
  db: Executor;
  collectionId: string;
  id: string;
}): Promise<GoldenQuestion | undefined> {
  const [row] = await db
    .delete(goldenQuestions)
    .where(and(eq(goldenQuestions.id, id), eq(goldenQuestions.collectionId, collectionId)))
    .returning();
  return row;
}
