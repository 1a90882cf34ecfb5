import {
  and,
  asc,
  type Column,
  eq,
  getTableName,
  inArray,
  isNotNull,
  isNull,
  or,
  type SQL,
  sql,
  type Table,
} from "drizzle-orm";
import type { Executor } from "../client";
import {
  answerSources,
  answers,
  type Collection,
  collections,
  documents,
  documentVersions,
  legalHolds,
  threads,
} from "../schema";

export interface RetentionChanges {
  /** null keeps answers for good. */
  answerRetentionDays?: number | null;
  /** null keeps documents for good. */
  documentRetentionDays?: number | null;
}

export async function updateCollectionRetention({
  db,
  collectionId,
  changes,
}: {
  db: Executor;
  collectionId: string;
  changes: RetentionChanges;
}): Promise<Collection | undefined> {
  const [row] = await db.update(collections).set(changes).where(eq(collections.id, collectionId)).returning();
  return row;
}

const timestamp = (at: Date) => sql`${at.toISOString()}::timestamptz`;

/**
 * `"table"."column"`. Drizzle leaves the table name off columns in the select list of a
 * single-table query, where a correlated subquery would then read its own table's column of the
 * same name (`id`, `collection_id`): the subqueries below name every column in full.
 */
const qualified = (table: Table, column: Column) =>
  sql`${sql.identifier(getTableName(table))}.${sql.identifier(column.name)}`;
const answer = {
  id: qualified(answers, answers.id),
  actor: qualified(answers, answers.actor),
  collectionIds: qualified(answers, answers.collectionIds),
  createdAt: qualified(answers, answers.createdAt),
};
const source = {
  answerId: qualified(answerSources, answerSources.answerId),
  collectionId: qualified(answerSources, answerSources.collectionId),
};
const hold = {
  collectionId: qualified(legalHolds, legalHolds.collectionId),
  userId: qualified(legalHolds, legalHolds.userId),
  releasedAt: qualified(legalHolds, legalHolds.releasedAt),
};
const collection = {
  id: qualified(collections, collections.id),
  answerRetentionDays: qualified(collections, collections.answerRetentionDays),
};

/**
 * The collections an answer drew on: those of the passages it was given, or — an answer given no
 * passage — the collections the asker could read when asking.
 */
const answerCollections = sql`coalesce(nullif(array(select distinct ${source.collectionId} from ${answerSources} where ${source.answerId} = ${answer.id} and ${source.collectionId} is not null), '{}'::uuid[]), ${answer.collectionIds})`;

const isActiveHold = sql`${hold.releasedAt} is null`;

export interface ExpiredAnswer {
  id: string;
  actor: string;
  threadId: string | null;
  collectionIds: string[];
  isCollectionHeld: boolean;
  isUserHeld: boolean;
}

/**
 * Answers one of whose collections' answer retention has run out at `now` (the shortest wins),
 * held or not, oldest first.
 */
export async function listExpiredAnswers({
  db,
  now,
  ids,
}: {
  db: Executor;
  now: Date;
  /** Only these answers (a purge re-reading its candidates under the hold lock). */
  ids?: readonly string[];
}): Promise<ExpiredAnswer[]> {
  if (ids && ids.length === 0) return [];
  const cutoff = (days: SQL) => sql`${timestamp(now)} - make_interval(days => ${days})`;
  const rows = await db
    .select({
      id: answers.id,
      actor: answers.actor,
      threadId: answers.threadId,
      collectionIds: sql<string>`array_to_string(${answerCollections}, ',')`,
      isCollectionHeld: sql<boolean>`exists (select 1 from ${legalHolds} where ${isActiveHold} and ${hold.collectionId} = any(${answerCollections}))`,
      isUserHeld: sql<boolean>`exists (select 1 from ${legalHolds} where ${isActiveHold} and ${hold.userId}::text = ${answer.actor})`,
    })
    .from(answers)
    .where(
      and(
        // Cheap first cut on the created_at index: older than the shortest retention anywhere.
        sql`${answer.createdAt} < ${cutoff(sql`(select min(${collection.answerRetentionDays}) from ${collections})`)}`,
        sql`exists (select 1 from ${collections} where ${collection.id} = any(${answerCollections}) and ${answer.createdAt} < ${cutoff(collection.answerRetentionDays)})`,
        ids ? inArray(answers.id, [...ids]) : undefined,
      ),
    )
    .orderBy(asc(answers.createdAt));
  return rows.map((row) => ({
    ...row,
    collectionIds: row.collectionIds === "" ? [] : row.collectionIds.split(","),
    isCollectionHeld: Boolean(row.isCollectionHeld),
    isUserHeld: Boolean(row.isUserHeld),
  }));
}

export interface ExpiredDocument {
  documentId: string;
  collectionId: string;
  title: string;
  isHeld: boolean;
}

/** Documents whose newest version is older than their collection's document retention at `now`. */
export async function listExpiredDocuments({
  db,
  now,
}: {
  db: Executor;
  now: Date;
}): Promise<ExpiredDocument[]> {
  const newest = sql`coalesce(max(${documentVersions.createdAt}), ${documents.createdAt})`;
  const rows = await db
    .select({
      documentId: documents.id,
      collectionId: documents.collectionId,
      title: documents.title,
      isHeld: sql<boolean>`exists (select 1 from ${legalHolds} where ${isActiveHold} and ${hold.collectionId} = ${qualified(documents, documents.collectionId)})`,
    })
    .from(documents)
    .innerJoin(collections, eq(collections.id, documents.collectionId))
    .leftJoin(documentVersions, eq(documentVersions.documentId, documents.id))
    .where(isNotNull(collections.documentRetentionDays))
    .groupBy(documents.id, collections.documentRetentionDays)
    .having(sql`${newest} < ${timestamp(now)} - make_interval(days => ${collections.documentRetentionDays})`)
    .orderBy(asc(newest));
  return rows.map((row) => ({ ...row, isHeld: Boolean(row.isHeld) }));
}

/** Passages kept with answers that came from these documents (or this collection), not yet erased. */
/**
 * The passages of these documents (or this collection) still holding their text — except in
 * answers under an active legal hold, on their asker or on any collection they drew on: the hold
 * preserves what they were shown. Callers lock `legal_holds` first (lockLegalHolds).
 */
function unerasedSourcesOf(target: { documentIds: readonly string[]; collectionId?: string }) {
  const ofTarget = or(
    target.documentIds.length > 0 ? inArray(answerSources.documentId, [...target.documentIds]) : undefined,
    target.collectionId ? eq(answerSources.collectionId, target.collectionId) : undefined,
  );
  const answerIsHeld = sql`exists (
    select 1 from answers held_answer join legal_holds held_by on held_by.released_at is null and (
      held_by.user_id::text = held_answer.actor
      or held_by.collection_id = any(held_answer.collection_ids)
      or exists (select 1 from answer_sources drawn_on where drawn_on.answer_id = held_answer.id and drawn_on.collection_id = held_by.collection_id)
    )
    where held_answer.id = ${source.answerId})`;
  return and(isNull(answerSources.erasedAt), ofTarget ?? sql`false`, sql`not ${answerIsHeld}`);
}

/** Removes the text of those passages (their hashes stay); returns how many were erased. */
export async function eraseAnswerSources({
  db,
  documentIds,
  collectionId,
}: {
  db: Executor;
  documentIds: readonly string[];
  collectionId?: string;
}): Promise<number> {
  const erased = await db
    .update(answerSources)
    .set({ text: null, erasedAt: sql`now()` })
    .where(unerasedSourcesOf({ documentIds, collectionId }))
    .returning({ answerId: answerSources.answerId });
  return erased.length;
}

export async function countUnerasedSources({
  db,
  documentIds,
}: {
  db: Executor;
  documentIds: readonly string[];
}): Promise<number> {
  if (documentIds.length === 0) return 0;
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(answerSources)
    .where(unerasedSourcesOf({ documentIds }));
  return Number(row?.count ?? 0);
}

/** Deletes answers; their citations, sources and feedback cascade. */
export async function deleteAnswers({
  db,
  ids,
}: {
  db: Executor;
  ids: readonly string[];
}): Promise<Array<{ id: string; threadId: string | null }>> {
  if (ids.length === 0) return [];
  return db
    .delete(answers)
    .where(inArray(answers.id, [...ids]))
    .returning({ id: answers.id, threadId: answers.threadId });
}

/** Deletes those of these threads that have no answer left; returns their ids. */
export async function deleteThreadsWithoutAnswers({
  db,
  ids,
}: {
  db: Executor;
  ids: readonly string[];
}): Promise<string[]> {
  if (ids.length === 0) return [];
  const deleted = await db
    .delete(threads)
    .where(
      and(
        inArray(threads.id, [...ids]),
        sql`not exists (select 1 from ${answers} where ${qualified(answers, answers.threadId)} = ${qualified(threads, threads.id)})`,
      ),
    )
    .returning({ id: threads.id });
  return deleted.map((row) => row.id);
}

/** Each thread's title and the question of its oldest remaining answer. */
export async function listThreadFirstQuestions({
  db,
  ids,
}: {
  db: Executor;
  ids: readonly string[];
}): Promise<Array<{ threadId: string; title: string; question: string }>> {
  if (ids.length === 0) return [];
  const rows = await db
    .select({
      threadId: threads.id,
      title: threads.title,
      question: sql<
        string | null
      >`(select ${qualified(answers, answers.question)} from ${answers} where ${qualified(answers, answers.threadId)} = ${qualified(threads, threads.id)} order by ${answer.createdAt} limit 1)`,
    })
    .from(threads)
    .where(inArray(threads.id, [...ids]));
  return rows.flatMap((row) => (row.question === null ? [] : [{ ...row, question: row.question }]));
}

export async function setThreadTitle({
  db,
  id,
  title,
}: {
  db: Executor;
  id: string;
  title: string;
}): Promise<void> {
  await db.update(threads).set({ title }).where(eq(threads.id, id));
}
