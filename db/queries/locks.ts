import { sql } from "drizzle-orm";
import type { Database, Executor } from "../client";

/** Named cluster-wide locks, as PostgreSQL advisory lock keys. */
export const lockKeys = {
  /**
   * LanceDB commits are optimistic; Folio keeps one writer per chunk table at a time (SECURITY.md
   * F2). Deletions take it too, so an index write in flight cannot bring a deleted document back.
   * Taken with `withWriterLock` (never inside a transaction: the LanceDB work is slow).
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

/**
 * Runs `work` holding a named lock for slow work outside the database (a LanceDB write, a
 * compaction) without keeping a transaction open for it: `work` runs its own short transactions
 * on `db`. Callers in one process queue first-in first-out. On PostgreSQL the lock is then also
 * a transaction-scoped advisory lock, held on one pooled connection while `work` uses others, so
 * every process sharing the database waits its turn (and a dead process's lock goes with its
 * connection). Embedded PGlite is opened by one process only (db/pglite-lock.ts), so the queue
 * alone excludes every other writer — and it must not be a transaction: PGlite has one
 * connection, and a transaction held through the slow work would make every other query of the
 * process (the web app's too) wait for it.
 *
 * A holder that also needs `withAdvisoryLock` (deletions take `blobReferences` in their
 * transaction) takes this lock first, as `withAdvisoryLock`'s key order requires. Not
 * re-entrant: `work` taking the same key again would wait for itself.
 */
export async function withWriterLock<T>(db: Database, key: number, work: () => Promise<T>): Promise<T> {
  return inProcessQueue(db, key).run(async () => {
    if (isEmbeddedDatabase(db)) return work();
    return db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${key})`);
      return work();
    });
  });
}

interface LockQueue {
  run<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * One FIFO queue per database client and key. Kept on `globalThis`, so two bundled copies of
 * this module in one process (Next.js server chunks and the worker) share the same queues.
 */
const queuesKey = Symbol.for("folio.writerLockQueues");
type QueueRegistry = WeakMap<object, Map<number, LockQueue>>;

function inProcessQueue(db: Database, key: number): LockQueue {
  const shared = globalThis as { [queuesKey]?: QueueRegistry };
  shared[queuesKey] ??= new WeakMap();
  const registry = shared[queuesKey];
  const owner = clientOf(db) ?? db;
  let queues = registry.get(owner);
  if (!queues) {
    queues = new Map();
    registry.set(owner, queues);
  }
  let queue = queues.get(key);
  if (!queue) {
    queue = createLockQueue();
    queues.set(key, queue);
  }
  return queue;
}

function createLockQueue(): LockQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(work: () => Promise<T>): Promise<T> {
      const turn = tail.then(work);
      tail = turn.catch(() => {});
      return turn;
    },
  };
}

function clientOf(db: Database): object | undefined {
  const client = (db as { $client?: unknown }).$client;
  return (typeof client === "object" || typeof client === "function") && client !== null ? client : undefined;
}

/**
 * PGlite's client is an object with `dumpDataDir` (PGliteInterface); postgres.js's is a function.
 * Anything unrecognised is treated as PostgreSQL: the advisory lock is the safe side.
 */
function isEmbeddedDatabase(db: Database): boolean {
  const client = clientOf(db) as { dumpDataDir?: unknown } | undefined;
  return typeof client === "object" && typeof client.dumpDataDir === "function";
}
