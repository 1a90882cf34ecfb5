import type { Executor } from "../../db/client";
import type { AnswerRow } from "../../db/schema";
import type { Actor } from "../domain/actor";
import { collectionAccessOf } from "./collection-access";

/**
 * An auditor reads every answer (that is the role). Anyone else reads only their own answers, and
 * only while they may still read every collection the answer drew on: an answer quotes its
 * sources, so a revoked grant hides it too. Everything else looks like a missing answer.
 */
export async function canReadAnswer(
  db: Executor,
  actor: Actor,
  answer: Pick<AnswerRow, "actor" | "collectionIds">,
): Promise<boolean> {
  if (actor.role === "auditor") return true;
  if (answer.actor !== actor.userId) return false;
  const { readable } = await collectionAccessOf(db, actor);
  return answer.collectionIds.every((id) => readable.has(id));
}
