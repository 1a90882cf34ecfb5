import type { Database } from "../../db/client";
import { lockCollectionRow } from "../../db/queries/legal-holds";
import { type RetentionChanges, updateCollectionRetention } from "../../db/queries/retention";
import type { Collection } from "../../db/schema";
import { appendAuditEvent } from "../audit/append-audit-event";
import type { ChangeActor } from "../auth/manage-users";
import { AppError } from "../errors";

/** About 100 years: longer is a typo, not a policy. */
export const maxRetentionDays = 36_500;

/**
 * Sets how long a collection keeps the questions and answers that drew on it and its documents
 * (null keeps them for good); a field left out is unchanged. Recorded as `retention.set` with the
 * values before and after.
 */
export async function setRetention(
  db: Database,
  actor: ChangeActor,
  input: { collectionId: string; changes: RetentionChanges },
): Promise<Collection> {
  for (const days of [input.changes.answerRetentionDays, input.changes.documentRetentionDays]) {
    if (
      days !== undefined &&
      days !== null &&
      !(Number.isInteger(days) && days >= 1 && days <= maxRetentionDays)
    ) {
      throw new AppError("invalid:request", {
        message: `A retention period is a whole number of days from 1 to ${maxRetentionDays}, or off.`,
      });
    }
  }
  return db.transaction(async (tx) => {
    const before = await lockCollectionRow({ db: tx, collectionId: input.collectionId });
    if (!before) throw new AppError("not_found:collection", { message: "No such collection." });
    const after = await updateCollectionRetention({
      db: tx,
      collectionId: before.id,
      changes: input.changes,
    });
    if (!after) throw new AppError("not_found:collection", { message: "No such collection." });
    await appendAuditEvent(tx, {
      actor,
      action: "retention.set",
      subject: `collection:${after.id}`,
      payload: {
        collectionId: after.id,
        answerRetentionDays: after.answerRetentionDays,
        documentRetentionDays: after.documentRetentionDays,
        previous: {
          answerRetentionDays: before.answerRetentionDays,
          documentRetentionDays: before.documentRetentionDays,
        },
      },
    });
    return after;
  });
}
