import { eq } from "drizzle-orm";
import type { Database } from "../client";
import { type AnswerCitationRow, type AnswerRow, type AuditEvent, answerCitations, answers } from "../schema";
import { appendAuditEvent, type NewAuditEvent } from "./audit-events";

export type NewAnswer = typeof answers.$inferInsert & { id: string };
export type NewAnswerCitation = Omit<typeof answerCitations.$inferInsert, "answerId">;

/**
 * Stores an answer, its citations and its audit event atomically: there is never an answer
 * without its audit row, nor an audit row for an answer that was not stored.
 */
export async function recordAnswer({
  db,
  answer,
  citations,
  auditEvent,
}: {
  db: Database;
  answer: NewAnswer;
  citations: NewAnswerCitation[];
  auditEvent: NewAuditEvent;
}): Promise<{ answer: AnswerRow; auditEvent: AuditEvent }> {
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(answers).values(answer).returning();
    if (!row) throw new Error("answer insert returned nothing");
    if (citations.length > 0) {
      await tx
        .insert(answerCitations)
        .values(citations.map((citation) => ({ ...citation, answerId: row.id })));
    }
    const event = await appendAuditEvent({ tx, event: auditEvent });
    return { answer: row, auditEvent: event };
  });
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
