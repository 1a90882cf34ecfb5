import { sql } from "drizzle-orm";
import type { Database } from "../client";

/** Named cluster-wide locks, as PostgreSQL advisory lock keys. */
export const lockKeys = {
  /** LanceDB commits are optimistic; Folio keeps one writer per chunk table at a time (SECURITY.md F2). */
  chunkTableWriter: 7_340_212,
} as const;

/**
 * Runs `work` while holding a transaction-scoped advisory lock: every process sharing the
 * database waits its turn, and the lock is released even if this process dies.
 */
export async function withAdvisoryLock<T>(db: Database, key: number, work: () => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${key})`);
    return work();
  });
}
