import type { Database } from "../../db/client";
import { lockKeys, withWriterLock } from "../../db/queries/locks";
import { describeSearchIndexChange } from "./ann-index";
import type { LanceDbStore, OptimizeOutcome } from "./lancedb-store";

export interface OptimizeSchedule {
  start(): void;
  /** One optimize now (under the writer lock); undefined when there is no chunk table yet. */
  runOnce(): Promise<OptimizeOutcome | undefined>;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Optimizes the chunk table every `everyMs` in the process that runs the ingest worker: without
 * it every write leaves a table version and its files behind for good, small files pile up, the
 * indexes never learn new rows, and the vector index is never built (ann-index.ts). Runs under the
 * chunk-table writer lock, so it never races an index write or a deletion (in any process, on
 * PostgreSQL). `everyMs` 0: never.
 */
export function createOptimizeSchedule(input: {
  db: Database;
  /** The chunk table, or undefined while there is none (nothing indexed yet). */
  store: () => Promise<Pick<LanceDbStore, "optimize"> | undefined>;
  everyMs: number;
  /** Versions superseded longer ago than this are removed; younger ones stay for readers on them. */
  keepVersionsMs: number;
  log: (message: string) => void;
}): OptimizeSchedule {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let lastProblem = "";

  const runOnce = () =>
    withWriterLock(input.db, lockKeys.chunkTableWriter, async () => {
      const store = await input.store();
      return store?.optimize({ keepVersionsMs: input.keepVersionsMs });
    });

  const tick = async () => {
    try {
      const outcome = await runOnce();
      if (outcome && (outcome.versionsRemoved > 0 || outcome.fragmentsCompacted > 0)) {
        input.log(
          `[lancedb] optimized the chunk table: ${outcome.fragmentsCompacted} fragments compacted, ` +
            `${outcome.versionsRemoved} old versions (${outcome.bytesRemoved} bytes) removed`,
        );
      }
      for (const change of outcome?.searchIndexes ?? []) {
        input.log(`[lancedb] ${describeSearchIndexChange(change)}`);
      }
      lastProblem = "";
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== lastProblem) input.log(`[lancedb] optimize failed: ${message}`);
      lastProblem = message;
    }
  };

  return {
    start() {
      if (input.everyMs <= 0 || timer) return;
      timer = setInterval(() => {
        running ??= tick().finally(() => {
          running = undefined;
        });
      }, input.everyMs);
      timer.unref();
    },
    runOnce,
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
