import type { Database, Executor } from "../../db/client";
import { hasGoldenQuestions } from "../../db/queries/golden-questions";
import { enqueueGoldenRun } from "../../db/queries/golden-runs";
import type { GoldenRun } from "../../db/schema";
import { AppError } from "../errors";

/**
 * The collection's index changed (a version finished indexing, a document was deleted): queue a
 * re-index run when it has golden questions, in the caller's transaction, so the change and its
 * run commit together. The run waits until no job of the collection is pending and the debounce
 * (GOLDEN_DEBOUNCE_SECONDS) has passed since the last such change, so a batch upload runs once.
 */
export async function queueGoldenRunAfterIndexChange(tx: Executor, collectionId: string): Promise<void> {
  if (!(await hasGoldenQuestions({ db: tx, collectionId }))) return;
  await enqueueGoldenRun({ db: tx, collectionId, trigger: "reindex", requestedBy: "system" });
}

/** "Run now": queues a manual run (or hurries the one queued). Authorization (curate) is the caller's. */
export async function requestGoldenRun(
  db: Database,
  input: { collectionId: string; actor: string },
): Promise<GoldenRun> {
  if (!(await hasGoldenQuestions({ db, collectionId: input.collectionId }))) {
    throw new AppError("conflict:golden_run", { message: "Add a golden question before running them." });
  }
  return enqueueGoldenRun({
    db,
    collectionId: input.collectionId,
    trigger: "manual",
    requestedBy: input.actor,
  });
}
