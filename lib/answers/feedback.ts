import type { Database } from "../../db/client";
import { getAnswerWithCitations } from "../../db/queries/answers";
import { getFeedback, upsertFeedback } from "../../db/queries/feedback";
import type { AnswerFeedbackRow, AnswerRow } from "../../db/schema";
import { canReadAnswer } from "../access/answer-access";
import { appendAuditEvent } from "../audit/append-audit-event";
import type { Actor } from "../domain/actor";
import { AppError } from "../errors";
import { sha256Hex } from "../text/sha256-hex";

/** A reader's verdict on an answer: thumbs up (1) or down (-1), and what they want to say. */
export interface FeedbackInput {
  rating: 1 | -1;
  /** @default "" — at most 2,000 characters (checked at the HTTP boundary). */
  comment?: string;
}

export interface FeedbackView {
  answerId: string;
  rating: 1 | -1;
  comment: string;
  createdAt: Date;
}

const asView = (row: AnswerFeedbackRow): FeedbackView => ({
  answerId: row.answerId,
  rating: row.rating === 1 ? 1 : -1,
  comment: row.comment,
  createdAt: row.createdAt,
});

async function requireReadableAnswer(db: Database, actor: Actor, answerId: string): Promise<AnswerRow> {
  const found = await getAnswerWithCitations({ db, id: answerId });
  if (!found || !(await canReadAnswer(db, actor, found.answer))) {
    throw new AppError("not_found:answer", { message: "No such answer." });
  }
  return found.answer;
}

/**
 * Records (or replaces) the caller's feedback on an answer they may read, with its audit event in
 * the same transaction. The ledger keeps the comment by sha256 only, like the question and answer,
 * so a purge can remove the text and the chain still verifies.
 */
export async function giveFeedback(
  db: Database,
  actor: Actor,
  answerId: string,
  input: FeedbackInput,
): Promise<FeedbackView> {
  const answer = await requireReadableAnswer(db, actor, answerId);
  const comment = input.comment ?? "";
  return db.transaction(async (tx) => {
    const row = await upsertFeedback({
      db: tx,
      answerId,
      userId: actor.userId,
      rating: input.rating,
      comment,
    });
    await appendAuditEvent(tx, {
      actor: actor.userId,
      action: "feedback.create",
      subject: `feedback:${answerId}:${actor.userId}`,
      payload: {
        answerId,
        rating: input.rating,
        commentSha256: sha256Hex(comment),
        collectionIds: answer.collectionIds,
      },
    });
    return asView(row);
  });
}

/** The caller's own feedback on an answer they may read, or null before they gave any. */
export async function readOwnFeedback(
  db: Database,
  actor: Actor,
  answerId: string,
): Promise<FeedbackView | null> {
  await requireReadableAnswer(db, actor, answerId);
  const row = await getFeedback({ db, answerId, userId: actor.userId });
  return row ? asView(row) : null;
}
