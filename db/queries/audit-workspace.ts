import { and, asc, desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../client";
import {
  type AnswerCitationRow,
  type AnswerRow,
  type AnswerSourceRow,
  answerCitations,
  answerFeedback,
  answerSources,
  answers,
  collections,
  type DocumentRow,
  documents,
  documentVersions,
  users,
} from "../schema";

/** What an auditor searches answers by; every filter is optional and they all apply together. */
export interface AnswerSearchFilters {
  /** Part of the asker's email or display name, any case. */
  person?: string;
  /** Asked at or after. */
  from?: Date;
  /** Asked before. */
  to?: Date;
  /** The answer searched this collection, or one of its passages came from it. */
  collectionId?: string;
  /** As `collectionId`, for the collections whose name contains this, any case. */
  collectionName?: string;
  /** One of the answer's passages came from this document. */
  documentId?: string;
  /** One of the answer's passages came from a document titled with this (as it was titled then), any case. */
  documentTitle?: string;
  /** Part of the question or of the answer, any case. */
  text?: string;
}

/** The keyset of the answer list: `createdAt` as PostgreSQL prints it (microseconds kept), then id. */
export interface AnswerSearchPosition {
  createdAt: string;
  id: string;
}

export interface AnswerSearchRow {
  id: string;
  createdAt: Date;
  position: AnswerSearchPosition;
  actor: string;
  askerEmail: string | null;
  askerName: string | null;
  question: string;
  status: AnswerRow["status"];
  errorCode: string | null;
  /** `checks.claims` as stored (an array of verdicts, or null). */
  claims: unknown;
  feedback: { up: number; down: number; comments: number };
}

/** `%`, `_` and `\` in user text match themselves in LIKE (PostgreSQL's default escape is `\`). */
export function escapeLikePattern(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

const contains = (text: string) => `%${escapeLikePattern(text)}%`;

function searchConditions(filters: AnswerSearchFilters, after: AnswerSearchPosition | undefined): SQL[] {
  const conditions: SQL[] = [];
  if (filters.person) {
    const pattern = contains(filters.person);
    conditions.push(sql`(${users.email} ilike ${pattern} or ${users.displayName} ilike ${pattern})`);
  }
  if (filters.from) conditions.push(sql`${answers.createdAt} >= ${filters.from.toISOString()}::timestamptz`);
  if (filters.to) conditions.push(sql`${answers.createdAt} < ${filters.to.toISOString()}::timestamptz`);
  if (filters.collectionId) {
    const id = filters.collectionId;
    conditions.push(
      sql`(${id}::uuid = any(${answers.collectionIds}) or exists (select 1 from ${answerSources} where ${answerSources.answerId} = ${answers.id} and ${answerSources.collectionId} = ${id}::uuid))`,
    );
  }
  if (filters.collectionName) {
    conditions.push(
      sql`exists (select 1 from ${collections} where ${collections.name} ilike ${contains(filters.collectionName)} and (${collections.id} = any(${answers.collectionIds}) or exists (select 1 from ${answerSources} where ${answerSources.answerId} = ${answers.id} and ${answerSources.collectionId} = ${collections.id})))`,
    );
  }
  if (filters.documentTitle) {
    conditions.push(
      sql`exists (select 1 from ${answerSources} where ${answerSources.answerId} = ${answers.id} and ${answerSources.documentTitle} ilike ${contains(filters.documentTitle)})`,
    );
  }
  if (filters.documentId) {
    conditions.push(
      sql`exists (select 1 from ${answerSources} where ${answerSources.answerId} = ${answers.id} and ${answerSources.documentId} = ${filters.documentId}::uuid)`,
    );
  }
  if (filters.text) {
    const pattern = contains(filters.text);
    conditions.push(sql`(${answers.question} ilike ${pattern} or ${answers.answer} ilike ${pattern})`);
  }
  if (after) {
    conditions.push(
      sql`(${answers.createdAt}, ${answers.id}) < (${after.createdAt}::timestamptz, ${after.id}::uuid)`,
    );
  }
  return conditions;
}

/** Answers matching `filters`, newest first, `limit` at a time after `after`. */
export async function searchAnswers({
  db,
  filters,
  after,
  limit,
}: {
  db: Executor;
  filters: AnswerSearchFilters;
  after?: AnswerSearchPosition;
  limit: number;
}): Promise<AnswerSearchRow[]> {
  const feedbackCount = (condition: SQL) =>
    sql<number>`(select count(*)::int from ${answerFeedback} where ${answerFeedback.answerId} = ${answers.id} and ${condition})`;
  const rows = await db
    .select({
      id: answers.id,
      createdAt: answers.createdAt,
      createdAtText: sql<string>`${answers.createdAt}::text`,
      actor: answers.actor,
      askerEmail: users.email,
      askerName: users.displayName,
      question: answers.question,
      status: answers.status,
      errorCode: answers.errorCode,
      claims: sql<unknown>`${answers.checks} -> 'claims'`,
      up: feedbackCount(sql`${answerFeedback.rating} = 1`),
      down: feedbackCount(sql`${answerFeedback.rating} = -1`),
      comments: feedbackCount(sql`${answerFeedback.comment} <> ''`),
    })
    .from(answers)
    .leftJoin(users, sql`${users.id}::text = ${answers.actor}`)
    .where(and(...searchConditions(filters, after)))
    .orderBy(desc(answers.createdAt), desc(answers.id))
    .limit(limit);
  return rows.map(({ createdAtText, up, down, comments, ...row }) => ({
    ...row,
    position: { createdAt: createdAtText, id: row.id },
    feedback: { up: Number(up), down: Number(down), comments: Number(comments) },
  }));
}

/** The ids of every answer matching `filters` (at most `limit`), newest first. */
export async function listMatchingAnswerIds({
  db,
  filters,
  limit,
}: {
  db: Executor;
  filters: AnswerSearchFilters;
  limit: number;
}): Promise<string[]> {
  const rows = await db
    .select({ id: answers.id })
    .from(answers)
    .leftJoin(users, sql`${users.id}::text = ${answers.actor}`)
    .where(and(...searchConditions(filters, undefined)))
    .orderBy(desc(answers.createdAt), desc(answers.id))
    .limit(limit);
  return rows.map((row) => row.id);
}

export interface AuditedAnswerRows {
  answer: AnswerRow;
  asker: { email: string; displayName: string } | null;
  citations: AnswerCitationRow[];
  sources: AnswerSourceRow[];
}

/** An answer with who asked it, its citations and the passages its prompt held (by `n`). */
export async function getAuditedAnswer({
  db,
  id,
}: {
  db: Executor;
  id: string;
}): Promise<AuditedAnswerRows | undefined> {
  const [found] = await db
    .select({ answer: answers, email: users.email, displayName: users.displayName })
    .from(answers)
    .leftJoin(users, sql`${users.id}::text = ${answers.actor}`)
    .where(eq(answers.id, id));
  if (!found) return undefined;
  const [citations, sources] = await Promise.all([
    db
      .select()
      .from(answerCitations)
      .where(eq(answerCitations.answerId, id))
      .orderBy(asc(answerCitations.marker)),
    db.select().from(answerSources).where(eq(answerSources.answerId, id)).orderBy(asc(answerSources.n)),
  ]);
  const asker =
    found.email !== null && found.displayName !== null
      ? { email: found.email, displayName: found.displayName }
      : null;
  return { answer: found.answer, asker, citations, sources };
}

export async function getAnswerSource({
  db,
  answerId,
  n,
}: {
  db: Executor;
  answerId: string;
  n: number;
}): Promise<AnswerSourceRow | undefined> {
  const [row] = await db
    .select()
    .from(answerSources)
    .where(and(eq(answerSources.answerId, answerId), eq(answerSources.n, n)));
  return row;
}

export interface VersionState {
  id: string;
  documentId: string;
  sha256: string;
  status: string;
  pageCount: number | null;
}

/** The versions that still exist among `ids`, and the documents that still exist among `documentIds`. */
export async function getVersionsAndDocuments({
  db,
  versionIds,
  documentIds,
}: {
  db: Executor;
  versionIds: readonly string[];
  documentIds: readonly string[];
}): Promise<{ versions: VersionState[]; documents: DocumentRow[] }> {
  const [versions, documentRows] = await Promise.all([
    versionIds.length === 0
      ? []
      : db
          .select({
            id: documentVersions.id,
            documentId: documentVersions.documentId,
            sha256: documentVersions.sha256,
            status: documentVersions.status,
            pageCount: documentVersions.pageCount,
          })
          .from(documentVersions)
          .where(inArray(documentVersions.id, [...new Set(versionIds)])),
    documentIds.length === 0
      ? []
      : db
          .select()
          .from(documents)
          .where(inArray(documents.id, [...new Set(documentIds)])),
  ]);
  return { versions, documents: documentRows };
}
