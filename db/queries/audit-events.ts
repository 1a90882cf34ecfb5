import { asc, desc, eq, sql } from "drizzle-orm";
import { canonicalJson, computeEventHash, genesisHash } from "../../lib/audit/hash-chain";
import type { Database } from "../client";
import { type AuditEvent, auditEvents } from "../schema";

/** A database or an open transaction: appends happen inside the caller's transaction. */
type Executor = Pick<Database, "select" | "insert" | "execute">;

export interface NewAuditEvent {
  actor: string;
  action: string;
  subject: string;
  payload: unknown;
}

/**
 * Appends one event to the hash chain. Must run inside a transaction: the table lock serialises
 * appenders across processes so seq stays gapless and every prev_hash names its predecessor.
 */
export async function appendAuditEvent({
  tx,
  event,
}: {
  tx: Executor;
  event: NewAuditEvent;
}): Promise<AuditEvent> {
  await tx.execute(sql`LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE`);
  const [last] = await tx
    .select({ seq: auditEvents.seq, hash: auditEvents.hash })
    .from(auditEvents)
    .orderBy(desc(auditEvents.seq))
    .limit(1);
  const fields = {
    seq: (last?.seq ?? 0) + 1,
    ts: new Date(),
    actor: event.actor,
    action: event.action,
    subject: event.subject,
    payload: canonicalJson(event.payload),
    prevHash: last?.hash ?? genesisHash,
  };
  const [row] = await tx
    .insert(auditEvents)
    .values({ ...fields, hash: computeEventHash(fields) })
    .returning();
  if (!row) throw new Error("audit insert returned nothing");
  return row;
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
  const [event] = await db.select().from(auditEvents).where(eq(auditEvents.subject, subject)).limit(1);
  return event;
}
