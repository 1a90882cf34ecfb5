import { eq } from "drizzle-orm";
import type { Database, Executor } from "../client";
import { type AnswerCitationRow, type AnswerRow, answerCitations, answerSources, answers } from "../schema";

export type NewAnswer = typeof answers.$inferInsert & { id: string };
export type NewAnswerCitation = Omit<typeof answerCitations.$inferInsert, "answerId">;
export type NewAnswerSource = Omit<typeof answerSources.$inferInsert, "answerId">;

/** Inserts an answer, its citations and its sources; the caller's transaction also appends its audit event. */
export async function insertAnswer({
  tx,
  answer,
  citations,
  sources,
}: {
  tx: Executor;
  answer: NewAnswer;
  citations: NewAnswerCitation[];
  sources: NewAnswerSource[];
}): Promise<AnswerRow> {
  const [row] = await tx.insert(answers).values(answer).returning();
  if (!row) throw new Error("answer insert returned nothing");
  if (citations.length > 0) {
    await tx.insert(answerCitations).values(citations.map((citation) => ({ ...citation, answerId: row.id })));
  }
  if (sources.length > 0) {
    await tx.insert(answerSources).values(sources.map((source) => ({ ...source, answerId: row.id })));
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
