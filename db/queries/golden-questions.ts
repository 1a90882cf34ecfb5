import { and, asc, eq, sql } from "drizzle-orm";
import type { Executor } from "../client";
import { type GoldenQuestion, goldenQuestions } from "../schema";

interface InCollection {
  db: Executor;
  collectionId: string;
}

interface QuestionInCollection extends InCollection {
  id: string;
}

/** The question `id`, only where it belongs to `collectionId`. */
function questionInCollection({ collectionId, id }: QuestionInCollection) {
  return and(eq(goldenQuestions.id, id), eq(goldenQuestions.collectionId, collectionId));
}

export interface GoldenQuestionFields {
  question: string;
  expectedDocumentId: string;
  expectedDocumentTitle: string;
  expectedPage: number | null;
}

export async function listGoldenQuestions({ db, collectionId }: InCollection): Promise<GoldenQuestion[]> {
  return db
    .select()
    .from(goldenQuestions)
    .where(eq(goldenQuestions.collectionId, collectionId))
    .orderBy(asc(goldenQuestions.createdAt), asc(goldenQuestions.id));
}

export async function hasGoldenQuestions({ db, collectionId }: InCollection): Promise<boolean> {
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
}: InCollection & { createdBy: string; fields: GoldenQuestionFields }): Promise<GoldenQuestion> {
  const [row] = await db
    .insert(goldenQuestions)
    .values({ collectionId, createdBy, ...fields })
    .returning();
  if (!row) throw new Error("golden question insert returned nothing");
  return row;
}

/** The question, only if it belongs to `collectionId`. */
export async function getGoldenQuestion(where: QuestionInCollection): Promise<GoldenQuestion | undefined> {
  const [row] = await where.db.select().from(goldenQuestions).where(questionInCollection(where));
  return row;
}

export async function updateGoldenQuestion({
  fields,
  ...where
}: QuestionInCollection & { fields: GoldenQuestionFields }): Promise<GoldenQuestion | undefined> {
  const [row] = await where.db
    .update(goldenQuestions)
    .set({ ...fields, updatedAt: sql`now()` })
    .where(questionInCollection(where))
    .returning();
  return row;
}

export async function deleteGoldenQuestion(where: QuestionInCollection): Promise<GoldenQuestion | undefined> {
  const [row] = await where.db.delete(goldenQuestions).where(questionInCollection(where)).returning();
  return row;
}
