import { and, asc, desc, eq, sql } from "drizzle-orm";
import type { Database, Executor } from "../client";
import { type AuditCheckpoint, type AuditEvent, auditCheckpoints, auditEvents } from "../schema";
import { lockKeys } from "./locks";

export type NewAuditEventRow = typeof auditEvents.$inferInsert;

/**
 * Serialises appenders across processes until the caller's transaction ends, so seq stays
 * gapless and every prev_hash names its predecessor. Call before reading the chain head.
 */
export async function lockAuditLog({ tx }: { tx: Executor }): Promise<void> {
  // An advisory lock, not LOCK TABLE: that needs UPDATE, DELETE or TRUNCATE rights on the ledger,
  // which the serving role must not have.
  await tx.execute(sql`select pg_advisory_xact_lock(${lockKeys.auditLedger})`);
}

/** The newest event's seq and hash, or undefined for an empty log. */
export async function getAuditHead({
  tx,
}: {
  tx: Executor;
}): Promise<{ seq: number; hash: string } | undefined> {
  const [last] = await tx
    .select({ seq: auditEvents.seq, hash: auditEvents.hash })
    .from(auditEvents)
    .orderBy(desc(auditEvents.seq))
    .limit(1);
  return last;
}

/** When event `seq` was appended, or undefined when there is no such event. */
export async function getAuditEventTime({
  tx,
  seq,
}: {
  tx: Executor;
  seq: number;
}): Promise<Date | undefined> {
  const [event] = await tx.select({ ts: auditEvents.ts }).from(auditEvents).where(eq(auditEvents.seq, seq));
  return event?.ts;
}

export async function insertAuditEvent({
  tx,
  row,
}: {
  tx: Executor;
  row: NewAuditEventRow;
}): Promise<AuditEvent> {
  const [inserted] = await tx.insert(auditEvents).values(row).returning();
  if (!inserted) throw new Error("audit insert returned nothing");
  return inserted;
}

export async function listAuditEvents({
  db,
  afterSeq = 0,
  limit = 1000,
}: {
  db: Database;
  afterSeq?: number;
  limit?: number;
}): Promise<AuditEvent[]> {
  return db
    .select()
    .from(auditEvents)
    .where(sql`${auditEvents.seq} > ${afterSeq}`)
    .orderBy(asc(auditEvents.seq))
    .limit(limit);
}

export async function getAuditEventBySubject({
  db,
  subject,
}: {
  db: Database;
  subject: string;
}): Promise<AuditEvent | undefined> {
  const [event] = await db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.subject, subject))
    .orderBy(asc(auditEvents.seq))
    .limit(1);
  return event;
}

/** Every event about `subject` (of `action`), oldest first. */
export async function listAuditEventsBySubject({
  db,
  subject,
  action,
}: {
  db: Database;
  subject: string;
  action: string;
}): Promise<AuditEvent[]> {
  return db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.subject, subject), eq(auditEvents.action, action)))
    .orderBy(asc(auditEvents.seq));
}

export async function getLatestCheckpoint({ tx }: { tx: Executor }): Promise<AuditCheckpoint | undefined> {
  const [latest] = await tx.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.seq)).limit(1);
  return latest;
}

export async function insertCheckpoint({ tx, row }: { tx: Executor; row: AuditCheckpoint }): Promise<void> {
  await tx.insert(auditCheckpoints).values(row);
}

export async function listCheckpoints({ db }: { db: Executor }): Promise<AuditCheckpoint[]> {
  return db.select().from(auditCheckpoints).orderBy(asc(auditCheckpoints.seq));
}

/** The hashes of events `fromSeq`…`toSeq`, in order. */
export async function listEventHashes({
  tx,
  fromSeq,
  toSeq,
}: {
  tx: Executor;
  fromSeq: number;
  toSeq: number;
}): Promise<string[]> {
  const rows = await tx
    .select({ hash: auditEvents.hash })
    .from(auditEvents)
    .where(sql`${auditEvents.seq} >= ${fromSeq} and ${auditEvents.seq} <= ${toSeq}`)
    .orderBy(asc(auditEvents.seq));
  return rows.map((row) => row.hash);
}
