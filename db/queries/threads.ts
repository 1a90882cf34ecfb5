import { and, asc, desc, eq, inArray } from "drizzle-orm";
import type { Executor } from "../client";
import {
  type AnswerCitationRow,
  type AnswerRow,
  type AnswerSourceRow,
  answerCitations,
  answerSources,
  answers,
  threads,
} from "../schema";

export type ThreadRow = typeof threads.$inferSelect;

export async function createThread({
  db,
  id,
  ownerId,
  title,
}: {
  db: Executor;
  id?: string;
  ownerId: string;
  title: string;
}): Promise<ThreadRow> {
  const [row] = await db
    .insert(threads)
    .values({ ...(id ? { id } : {}), ownerId, title })
    .returning();
  if (!row) throw new Error("thread insert returned nothing");
  return row;
}

/** The thread if `ownerId` owns it; another person's thread looks absent. */
export async function getOwnedThread({
  db,
  id,
  ownerId,
}: {
  db: Executor;
  id: string;
  ownerId: string;
}): Promise<ThreadRow | undefined> {
  const [row] = await db
    .select()
    .from(threads)
    .where(and(eq(threads.id, id), eq(threads.ownerId, ownerId)));
  return row;
}

export async function listOwnedThreads({
  db,
  ownerId,
  limit = 50,
}: {
  db: Executor;
  ownerId: string;
  limit?: number;
}): Promise<ThreadRow[]> {
  return db
    .select()
    .from(threads)
    .where(eq(threads.ownerId, ownerId))
    .orderBy(desc(threads.updatedAt))
    .limit(limit);
}

export async function touchThread({ db, id }: { db: Executor; id: string }): Promise<void> {
  await db.update(threads).set({ updatedAt: new Date() }).where(eq(threads.id, id));
}

export interface ThreadTurn {
  answer: AnswerRow;
  citations: AnswerCitationRow[];
  /** The passages the answer's prompt held, as sent (none for answers recorded before they were kept). */
  sources: AnswerSourceRow[];
}

/** The thread's answers, oldest first (at most the last `limit`), each with its citations and sources. */
export async function listThreadTurns({
  db,
  threadId,
  limit = 50,
}: {
  db: Executor;
  threadId: string;
  limit?: number;
}): Promise<ThreadTurn[]> {
  const latest = await db
    .select()
    .from(answers)
    .where(eq(answers.threadId, threadId))
    .orderBy(desc(answers.createdAt))
    .limit(limit);
  const ordered = latest.reverse();
  if (ordered.length === 0) return [];
  const citations = await db
    .select()
    .from(answerCitations)
    .where(
      inArray(
        answerCitations.answerId,
        ordered.map((answer) => answer.id),
      ),
    )
    .orderBy(asc(answerCitations.marker));
  const sources = await db
    .select()
    .from(answerSources)
    .where(
      inArray(
        answerSources.answerId,
        ordered.map((answer) => answer.id),
      ),
    )
    .orderBy(asc(answerSources.n));
  return ordered.map((answer) => ({
    answer,
    citations: citations.filter((citation) => citation.answerId === answer.id),
    sources: sources.filter((source) => source.answerId === answer.id),
  }));
}
