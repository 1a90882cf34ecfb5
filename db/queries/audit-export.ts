import { and, asc, desc, gte, inArray, lt, lte, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../client";
import {
  type AnswerRow,
  type AnswerSourceRow,
  type AuditCheckpoint,
  type AuditEvent,
  answerSources,
  answers,
  auditCheckpoints,
  auditEvents,
} from "../schema";

/** Which events a ledger export gives with their contents; every filter is optional, all apply. */
export interface AuditEventFilter {
  /** At or after. */
  from?: Date;
  /** Before. */
  to?: Date;
  /** Subject `collection:<id>`, or the id anywhere in the payload (`collectionId`, `collectionIds`). */
  collectionId?: string;
  /** Subject `answer:<id>`, or one of these UUIDs anywhere in the payload (feedback, exports). */
  answerIds?: readonly string[];
}

const uuidPattern = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

/** `%`, `_` and `\` match themselves in LIKE (PostgreSQL's default escape is `\`). */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;

/**
 * Whether an event of seq range (`afterSeq`, `toSeq`] matches `filter`, as one SQL condition, so
 * the span and the pages agree. Answer ids are matched as sets the planner hashes (one parameter
 * however many ids — a selection may hold 10,000 — and each payload of the range scanned once for
 * the UUIDs it names), not id by id for every event.
 */
function matchCondition(filter: AuditEventFilter, range: { afterSeq: number; toSeq: number }): SQL {
  const conditions: SQL[] = [];
  if (filter.from) conditions.push(sql`${auditEvents.ts} >= ${filter.from.toISOString()}::timestamptz`);
  if (filter.to) conditions.push(sql`${auditEvents.ts} < ${filter.to.toISOString()}::timestamptz`);
  if (filter.collectionId !== undefined) {
    conditions.push(
      sql`(${auditEvents.subject} = ${`collection:${filter.collectionId}`} or ${auditEvents.payload} like ${containing(filter.collectionId)})`,
    );
  }
  if (filter.answerIds !== undefined) {
    const ids = JSON.stringify(filter.answerIds.map((id) => id.toLowerCase()));
    conditions.push(sql`(${auditEvents.subject} in (select 'answer:' || jsonb_array_elements_text(${ids}::jsonb))
      or ${auditEvents.seq} in (
        select naming.seq from ${auditEvents} as naming, regexp_matches(naming.payload, ${uuidPattern}, 'g') as named(id)
        where naming.seq > ${range.afterSeq} and naming.seq <= ${range.toSeq}
          and named.id[1] in (select jsonb_array_elements_text(${ids}::jsonb))))`);
  }
  return conditions.length === 0 ? sql`true` : sql.join(conditions, sql` and `);
}

/** The first and last event up to `toSeq` that match, or undefined when none does. */
export async function findMatchingSeqRange({
  db,
  filter,
  toSeq,
}: {
  db: Executor;
  filter: AuditEventFilter;
  toSeq: number;
}): Promise<{ first: number; last: number } | undefined> {
  const [range] = await db
    .select({
      first: sql<string | null>`min(${auditEvents.seq})`,
      last: sql<string | null>`max(${auditEvents.seq})`,
    })
    .from(auditEvents)
    .where(and(lte(auditEvents.seq, toSeq), matchCondition(filter, { afterSeq: 0, toSeq })));
  if (range?.first == null || range.last == null) return undefined;
  return { first: Number(range.first), last: Number(range.last) };
}

/** Events `afterSeq + 1`…`toSeq`, in order, each with whether it matches `filter`. */
export async function listEventsMatching({
  db,
  filter,
  afterSeq,
  toSeq,
}: {
  db: Executor;
  filter: AuditEventFilter;
  afterSeq: number;
  toSeq: number;
}): Promise<(AuditEvent & { matches: boolean })[]> {
  return db
    .select({
      seq: auditEvents.seq,
      ts: auditEvents.ts,
      actor: auditEvents.actor,
      action: auditEvents.action,
      subject: auditEvents.subject,
      payload: auditEvents.payload,
      prevHash: auditEvents.prevHash,
      hash: auditEvents.hash,
      matches: sql<boolean>`coalesce(${matchCondition(filter, { afterSeq, toSeq })}, false)`.mapWith(Boolean),
    })
    .from(auditEvents)
    .where(and(sql`${auditEvents.seq} > ${afterSeq}`, lte(auditEvents.seq, toSeq)))
    .orderBy(asc(auditEvents.seq));
}

/** The newest checkpoint before event `seq`, i.e. the one whose span ends just before it. */
export async function getCheckpointBefore({
  db,
  seq,
}: {
  db: Executor;
  seq: number;
}): Promise<AuditCheckpoint | undefined> {
  const [checkpoint] = await db
    .select()
    .from(auditCheckpoints)
    .where(lt(auditCheckpoints.seq, seq))
    .orderBy(desc(auditCheckpoints.seq))
    .limit(1);
  return checkpoint;
}

/** The oldest checkpoint at or after event `seq` and up to `toSeq`: the end of the span holding `seq`. */
export async function getCheckpointFrom({
  db,
  seq,
  toSeq,
}: {
  db: Executor;
  seq: number;
  toSeq: number;
}): Promise<AuditCheckpoint | undefined> {
  const [checkpoint] = await db
    .select()
    .from(auditCheckpoints)
    .where(and(gte(auditCheckpoints.seq, seq), lte(auditCheckpoints.seq, toSeq)))
    .orderBy(asc(auditCheckpoints.seq))
    .limit(1);
  return checkpoint;
}

export async function listCheckpointsBetween({
  db,
  fromSeq,
  toSeq,
}: {
  db: Executor;
  fromSeq: number;
  toSeq: number;
}): Promise<AuditCheckpoint[]> {
  return db
    .select()
    .from(auditCheckpoints)
    .where(and(gte(auditCheckpoints.seq, fromSeq), lte(auditCheckpoints.seq, toSeq)))
    .orderBy(asc(auditCheckpoints.seq));
}

export type ExportedAnswer = Pick<AnswerRow, "id" | "question" | "answer"> & {
  sources: Pick<
    AnswerSourceRow,
    | "n"
    | "chunkId"
    | "documentId"
    | "versionId"
    | "pageNumber"
    | "pageLabel"
    | "text"
    | "contentHash"
    | "imageSha256"
  >[];
};

/** The stored texts of these answers and their passages (sources by `n`); absent answers are left out. */
export async function listAnswerTexts({
  db,
  ids,
}: {
  db: Executor;
  ids: readonly string[];
}): Promise<Map<string, ExportedAnswer>> {
  const found = new Map<string, ExportedAnswer>();
  if (ids.length === 0) return found;
  const rows = await db
    .select({ id: answers.id, question: answers.question, answer: answers.answer })
    .from(answers)
    .where(inArray(answers.id, [...ids]));
  for (const row of rows) found.set(row.id, { ...row, sources: [] });
  if (rows.length === 0) return found;
  const sources = await db
    .select({
      answerId: answerSources.answerId,
      n: answerSources.n,
      chunkId: answerSources.chunkId,
      documentId: answerSources.documentId,
      versionId: answerSources.versionId,
      pageNumber: answerSources.pageNumber,
      pageLabel: answerSources.pageLabel,
      text: answerSources.text,
      contentHash: answerSources.contentHash,
      imageSha256: answerSources.imageSha256,
    })
    .from(answerSources)
    .where(inArray(answerSources.answerId, [...found.keys()]))
    .orderBy(asc(answerSources.answerId), asc(answerSources.n));
  for (const { answerId, ...source } of sources) found.get(answerId)?.sources.push(source);
  return found;
}
