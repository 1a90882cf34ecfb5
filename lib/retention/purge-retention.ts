import type { Database, Executor } from "../../db/client";
import { lockLegalHolds } from "../../db/queries/legal-holds";
import {
  countUnerasedSources,
  deleteAnswers,
  deleteThreadsWithoutAnswers,
  type ExpiredAnswer,
  type ExpiredDocument,
  listExpiredAnswers,
  listExpiredDocuments,
  listThreadFirstQuestions,
  setThreadTitle,
} from "../../db/queries/retention";
import { appendAuditEvent } from "../audit/append-audit-event";
import { threadTitle } from "../conversations/thread-context";
import { type DeletionDependencies, deleteDocuments } from "../documents/delete-documents";
import { isAppError } from "../errors";

export interface PurgeDependencies {
  db: Database;
  /** What deleting documents needs; asked for only when a document is due. */
  deletion: () => Promise<DeletionDependencies>;
}

export interface PurgeOptions {
  /** `system` for the schedule, `cli`, or an admin's user id. */
  actor: string;
  /** @default new Date() */
  now?: Date;
  /** Report what would be purged and held back; change nothing. @default false */
  isDryRun?: boolean;
  /** Answers deleted per transaction, each with its own `retention.purge` event. @default 1000 */
  answersPerEvent?: number;
}

export interface PurgedDocument {
  documentId: string;
  collectionId: string;
  title: string;
}

export interface PurgeReport {
  isDryRun: boolean;
  answersPurged: string[];
  documentsPurged: PurgedDocument[];
  /** Passages kept with answers whose text was erased with the purged documents. */
  erasedPassages: number;
  /** Past retention but under a legal hold (on a collection they drew on, or on the asker). */
  heldAnswers: ExpiredAnswer[];
  heldDocuments: ExpiredDocument[];
  /** Documents whose deletion failed (they are tried again on the next purge). */
  failedDocuments: Array<PurgedDocument & { message: string }>;
  /** The `retention.purge` events written (none for a dry run or a purge with nothing to do). */
  eventSeqs: number[];
}

/**
 * Purges what retention says must go (docs/decisions/0008-retention-and-legal-hold.md): documents
 * whose newest version is older than their collection's document retention are deleted with
 * erasure, each through `deleteDocuments` (its own transaction and event); then answers past the
 * shortest answer retention of the collections they drew on are deleted (citations, sources and
 * feedback cascade) in transactions that each record a `retention.purge` event. Anything under a
 * legal hold stays. The audit ledger keeps only hashes of the texts and is never touched.
 */
export async function purgeRetention(
  dependencies: PurgeDependencies,
  options: PurgeOptions,
): Promise<PurgeReport> {
  const { db } = dependencies;
  const now = options.now ?? new Date();
  const isDryRun = options.isDryRun ?? false;

  const expiredDocuments = await listExpiredDocuments({ db, now });
  const heldDocuments = expiredDocuments.filter((document) => document.isHeld);
  const dueDocuments = expiredDocuments.filter((document) => !document.isHeld).map(toPurgedDocument);
  const expiredAnswers = await listExpiredAnswers({ db, now });
  const heldAnswers = expiredAnswers.filter(isHeld);
  const dueAnswers = expiredAnswers.filter((answer) => !isHeld(answer));

  if (isDryRun) {
    return {
      isDryRun,
      answersPurged: dueAnswers.map((answer) => answer.id),
      documentsPurged: dueDocuments,
      erasedPassages: await countUnerasedSources({
        db,
        documentIds: dueDocuments.map((document) => document.documentId),
      }),
      heldAnswers,
      heldDocuments,
      failedDocuments: [],
      eventSeqs: [],
    };
  }

  const documents = await purgeDocuments(dependencies, options.actor, dueDocuments);
  heldDocuments.push(...documents.held);
  const report: PurgeReport = {
    isDryRun,
    answersPurged: [],
    documentsPurged: documents.purged,
    erasedPassages: documents.erasedPassages,
    heldAnswers: [...heldAnswers],
    heldDocuments,
    failedDocuments: documents.failed,
    eventSeqs: [],
  };
  const batchSize = options.answersPerEvent ?? 1000;
  const batches: string[][] = [];
  for (let start = 0; start < dueAnswers.length; start += batchSize) {
    batches.push(dueAnswers.slice(start, start + batchSize).map((answer) => answer.id));
  }
  // Each event carries its own share, so the events of one purge add up to the whole.
  const isFirst = (index: number) => index === 0;
  for (const [index, ids] of (batches.length > 0 ? batches : [[]]).entries()) {
    await db.transaction(async (tx) => {
      const batch = await purgeAnswers(tx, now, ids);
      report.answersPurged.push(...batch.purged.map((answer) => answer.id));
      report.heldAnswers.push(...batch.held);
      const documentsPurged = isFirst(index) ? report.documentsPurged : [];
      const heldBack = {
        answers: batch.held.length + (isFirst(index) ? heldAnswers.length : 0),
        documents: isFirst(index) ? heldDocuments.length : 0,
      };
      if (batch.purged.length + documentsPurged.length + heldBack.answers + heldBack.documents === 0) return;
      const event = await appendAuditEvent(tx, {
        actor: options.actor,
        action: "retention.purge",
        subject: `retention:${now.toISOString()}`,
        payload: {
          answersPurged: batch.purged.map((answer) => answer.id),
          documentsPurged: documentsPurged.map(({ documentId, collectionId }) => ({
            documentId,
            collectionId,
          })),
          erasedPassages: isFirst(index) ? report.erasedPassages : 0,
          heldBack,
          collectionIds: [
            ...new Set([
              ...batch.purged.flatMap((answer) => answer.collectionIds),
              ...documentsPurged.map((document) => document.collectionId),
            ]),
          ].sort(),
        },
      });
      report.eventSeqs.push(event.seq);
    });
  }
  return report;
}

function isHeld(answer: ExpiredAnswer): boolean {
  return answer.isCollectionHeld || answer.isUserHeld;
}

function toPurgedDocument({ documentId, collectionId, title }: ExpiredDocument): PurgedDocument {
  return { documentId, collectionId, title };
}

/**
 * One by one through `deleteDocuments` (index rows and originals go too): a document deleted
 * meanwhile is skipped, one whose collection was put on hold meanwhile is held back, one that
 * fails is reported and tried again next time.
 */
async function purgeDocuments(
  dependencies: PurgeDependencies,
  actor: string,
  due: PurgedDocument[],
): Promise<{
  purged: PurgedDocument[];
  held: ExpiredDocument[];
  failed: PurgeReport["failedDocuments"];
  erasedPassages: number;
}> {
  const outcome = {
    purged: [] as PurgedDocument[],
    held: [] as ExpiredDocument[],
    failed: [] as PurgeReport["failedDocuments"],
    erasedPassages: 0,
  };
  if (due.length === 0) return outcome;
  const deletion = await dependencies.deletion();
  for (const document of due) {
    try {
      const result = await deleteDocuments(deletion, {
        actor,
        target: { documentId: document.documentId },
        erase: true,
        reason: "retention",
      });
      outcome.purged.push(document);
      outcome.erasedPassages += result.erasedPassages ?? 0;
    } catch (error) {
      if (isAppError(error) && error.code === "not_found:document") continue;
      if (isAppError(error) && error.code === "conflict:legal_hold") {
        outcome.held.push({ ...document, isHeld: true });
        continue;
      }
      outcome.failed.push({ ...document, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return outcome;
}

/**
 * Deletes these answers unless a hold now covers them: the hold table is locked first, so a hold
 * committed before this transaction is seen and one being created waits for it to end.
 */
async function purgeAnswers(
  tx: Executor,
  now: Date,
  ids: readonly string[],
): Promise<{ purged: ExpiredAnswer[]; held: ExpiredAnswer[] }> {
  if (ids.length === 0) return { purged: [], held: [] };
  await lockLegalHolds({ tx });
  const current = await listExpiredAnswers({ db: tx, now, ids });
  const held = current.filter(isHeld);
  const due = current.filter((answer) => !isHeld(answer));
  const deleted = new Set(
    (await deleteAnswers({ db: tx, ids: due.map((answer) => answer.id) })).map((row) => row.id),
  );
  const purged = due.filter((answer) => deleted.has(answer.id));
  await tidyThreads(tx, purged);
  return { purged, held };
}

/**
 * A thread's title is its first question: a thread left empty goes, and one whose first question
 * was purged takes its title from the oldest question left.
 */
async function tidyThreads(tx: Executor, purged: ExpiredAnswer[]): Promise<void> {
  const threadIds = [...new Set(purged.flatMap((answer) => (answer.threadId ? [answer.threadId] : [])))];
  const deleted = new Set(await deleteThreadsWithoutAnswers({ db: tx, ids: threadIds }));
  const remaining = threadIds.filter((id) => !deleted.has(id));
  for (const thread of await listThreadFirstQuestions({ db: tx, ids: remaining })) {
    const title = threadTitle(thread.question);
    if (title !== thread.title) await setThreadTitle({ db: tx, id: thread.threadId, title });
  }
}
