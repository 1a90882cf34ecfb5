import type { Database, Executor } from "../../db/client";
import { getCollectionById } from "../../db/queries/collections";
import {
  type HoldTarget,
  insertLegalHold,
  type LegalHoldListing,
  listActiveCollectionHolds,
  listLegalHolds,
  lockCollectionRow,
  releaseLegalHold,
} from "../../db/queries/legal-holds";
import { getUserById } from "../../db/queries/users";
import type { LegalHold } from "../../db/schema";
import { appendAuditEvent } from "../audit/append-audit-event";
import type { ChangeActor } from "../auth/manage-users";
import { AppError } from "../errors";

/**
 * Legal holds: a hold on a collection keeps its documents and every answer that drew on it from
 * retention purges and refuses deleting them; a hold on a user keeps that user's answers. Each
 * change is recorded in the audit log in the same transaction.
 */

const maxReasonLength = 1000;

export async function createHold(
  db: Database,
  actor: ChangeActor,
  input: { target: HoldTarget; reason: string },
): Promise<LegalHold> {
  const reason = input.reason.trim();
  if (reason === "" || reason.length > maxReasonLength) {
    throw new AppError("invalid:request", {
      message: `A legal hold needs a reason (at most ${maxReasonLength} characters).`,
    });
  }
  return db.transaction(async (tx) => {
    const { target } = input;
    if ("collectionId" in target) {
      if (!(await getCollectionById({ db: tx, id: target.collectionId }))) {
        throw new AppError("not_found:collection", { message: "No such collection." });
      }
    } else if (!(await getUserById({ db: tx, id: target.userId }))) {
      throw new AppError("not_found:user", { message: "No such user." });
    }
    const hold = await insertLegalHold({ db: tx, target, reason, createdBy: actor });
    await appendAuditEvent(tx, {
      actor,
      action: "hold.create",
      subject: `hold:${hold.id}`,
      payload: { ...describeTarget(hold), reason },
    });
    return hold;
  });
}

export async function releaseHold(db: Database, actor: ChangeActor, holdId: string): Promise<LegalHold> {
  return db.transaction(async (tx) => {
    const hold = await releaseLegalHold({ db: tx, id: holdId });
    if (!hold) throw new AppError("not_found:legal_hold", { message: `No active legal hold ${holdId}.` });
    await appendAuditEvent(tx, {
      actor,
      action: "hold.release",
      subject: `hold:${hold.id}`,
      payload: { ...describeTarget(hold), reason: hold.reason },
    });
    return hold;
  });
}

export async function listHolds(db: Database): Promise<LegalHoldListing[]> {
  return listLegalHolds({ db });
}

/**
 * Refuses deleting a held collection or any of its documents. Locks the collection's row for the
 * rest of the caller's transaction, so a hold created meanwhile waits for the deletion (and then
 * finds the collection gone) rather than being missed or cascaded away.
 */
export async function refuseIfHeld(tx: Executor, collectionId: string): Promise<void> {
  const collection = await lockCollectionRow({ db: tx, collectionId });
  if (!collection) return;
  const [hold] = await listActiveCollectionHolds({ db: tx, collectionId });
  if (!hold) return;
  throw new AppError("conflict:legal_hold", {
    message:
      `Collection ${collection.name} is under legal hold ${hold.id} (${hold.reason}; ` +
      `since ${hold.createdAt.toISOString().slice(0, 10)}): nothing in it can be deleted until the hold is released.`,
    details: { holdId: hold.id, collectionId },
  });
}

/** Payloads that concern a collection carry its id as `collectionId`. */
function describeTarget(hold: LegalHold): { collectionId: string } | { userId: string } {
  return hold.collectionId ? { collectionId: hold.collectionId } : { userId: hold.userId ?? "" };
}
