import { eq } from "drizzle-orm";
import type { Database, Executor } from "../client";
import { type AnswerCitationRow, type AnswerRow, answerCitations, answers } from "../schema";

export type NewAnswer = typeof answers.$inferInsert & { id: string };
export type NewAnswerCitation = Omit<typeof answerCitations.$inferInsert, "answerId">;

/** Inserts an answer and its citations; the caller's transaction also appends its audit event. */
export async function insertAnswer({
  tx,
  answer,
  citations,
}: {
  tx: Executor;
  answer: NewAnswer;
  citations: NewAnswerCitation[];
}): Promise<AnswerRow> {
  const [row] = await tx.insert(answers).values(answer).returning();
  if (!row) throw new Error("answer insert returned nothing");
  if (citations.length > 0) {
    await tx.insert(answerCitations).values(citations.map((citation) => ({ ...citation, answerId: row.id })));
  }
  return row;
}

export async function getAnswerWithCitations({
  db,
  id,
}: {
  db: Database;
  id: string;
}): Promise<{ answer: AnswerRow; citations: AnswerCitationRow[] } | undefined> {
  const [answer] = await db.select().from(answers).where(eq(answers.id, id));
  if (!answer) return undefined;
  const citations = await db.select().from(answerCitations).where(eq(answerCitations.answerId, id));
  return { answer, citations };
}
