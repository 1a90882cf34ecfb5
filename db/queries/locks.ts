import { sql } from "drizzle-orm";
import type { Database, Executor } from "../client";

/** Named cluster-wide locks, as PostgreSQL advisory lock keys. */
export const lockKeys = {
  /**
   * LanceDB commits are optimistic; Folio keeps one writer per chunk table at a time (SECURITY.md
   * F2). Deletions take it too, so an index write in flight cannot bring a deleted document back.
   */
  chunkTableWriter: 7_340_212,
  /** Uploads committing a blob and deletions removing an unreferenced one take turns. */
  blobReferences: 7_340_213,
} as const;

/**
 * Runs `work` inside a transaction holding a transaction-scoped advisory lock: every process
 * sharing the database waits its turn, and the lock is released even if this process dies. Work
 * must use the transaction it is given (PGlite has a single connection: a query on `db` would
 * wait for this transaction forever).
 */
export async function withAdvisoryLock<T>(
  db: Database,
  key: number,
  work: (tx: Executor) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${key})`);
    return work(tx);
  });
}
