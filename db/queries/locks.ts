import { sql } from "drizzle-orm";
import type { Database, Executor } from "../client";

/** Named cluster-wide locks, as PostgreSQL advisory lock keys. */
export const lockKeys = {
  /**
   * LanceDB commits are optimistic; Folio keeps one writer per chunk table at a time (SECURITY.md
   * F2). Deletions take it too, so an index write in flight cannot bring a deleted document back.
   */
  chunkTableWriter: 7_340_212,
  /**
   * Upload decisions (which commit their blob before their rows) and deletions (which read, then
   * remove, blob references) take turns, so no blob is removed from under a new reference.
   */
  blobReferences: 7_340_213,
  /** Appending to the audit ledger (seq and prev_hash come from the head), and signing checkpoints. */
  auditLedger: 7_340_214,
} as const;

/**
 * Runs `work` inside a transaction holding transaction-scoped advisory locks: every process
 * sharing the database waits its turn, and the locks are released even if this process dies.
 * Several keys are taken in the order given; callers taking both take `chunkTableWriter` first,
 * so no two can wait on each other. Work must use the transaction it is given (PGlite has a
 * single connection: a query on `db` would wait for this transaction forever).
 */
export async function withAdvisoryLock<T>(
  db: Database,
  keys: number | readonly number[],
  work: (tx: Executor) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    for (const key of typeof keys === "number" ? [keys] : keys) {
      await tx.execute(sql`select pg_advisory_xact_lock(${key})`);
    }
    return work(tx);
  });
}
