import { and, asc, eq, sql } from "drizzle-orm";
import type { Executor } from "../client";
import { type AnswerFeedbackRow, answerFeedback, users } from "../schema";

/** One reader's rating of an answer: a second rating by the same reader replaces the first. */
export async function upsertFeedback({
  db,
  answerId,
  userId,
  rating,
  comment,
}: {
  db: Executor;
  answerId: string;
  userId: string;
  rating: 1 | -1;
  comment: string;
}): Promise<AnswerFeedbackRow> {
  const now = new Date();
  const [row] = await db
    .insert(answerFeedback)
    .values({ answerId, userId, rating, comment, createdAt: now })
    .onConflictDoUpdate({
      target: [answerFeedback.answerId, answerFeedback.userId],
      set: { rating, comment, createdAt: now },
    })
    .returning();
  if (!row) throw new Error("feedback upsert returned nothing");
  return row;
}

export async function getFeedback({
  db,
  answerId,
  userId,
}: {
  db: Executor;
  answerId: string;
  userId: string;
}): Promise<AnswerFeedbackRow | undefined> {
  const [row] = await db
    .select()
    .from(answerFeedback)
    .where(and(eq(answerFeedback.answerId, answerId), eq(answerFeedback.userId, userId)));
  return row;
}

export interface FeedbackWithUser extends AnswerFeedbackRow {
  /** Null when the account is gone. */
  email: string | null;
  displayName: string | null;
}

/** Every reader's feedback on an answer, oldest first, with who gave it. */
export async function listFeedbackWithUsers({
  db,
  answerId,
}: {
  db: Executor;
  answerId: string;
}): Promise<FeedbackWithUser[]> {
  const rows = await db
    .select({ feedback: answerFeedback, email: users.email, displayName: users.displayName })
    .from(answerFeedback)
    .leftJoin(users, sql`${users.id}::text = ${answerFeedback.userId}`)
    .where(eq(answerFeedback.answerId, answerId))
    .orderBy(asc(answerFeedback.createdAt));
  return rows.map((row) => ({ ...row.feedback, email: row.email, displayName: row.displayName }));
}
