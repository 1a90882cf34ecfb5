import { asAppError } from "../errors";
import { getLogger } from "../observability/log";
import { type PurgeDependencies, type PurgeReport, purgeRetention } from "./purge-retention";

export interface PurgeScheduleOptions extends PurgeDependencies {
  /** Between two purges (RETENTION_PURGE_HOURS). */
  intervalHours: number;
  /** The first purge runs this long after `start()`, not during start-up. @default 60_000 */
  firstRunDelayMs?: number;
  log: (message: string) => void;
}

export interface PurgeSchedule {
  start(): void;
  /** Stops the timer and waits for a purge under way to finish. */
  stop(): Promise<void>;
  /** Runs one purge now (as the timer does): never throws, logs a failure. */
  runOnce(): Promise<PurgeReport | undefined>;
}

/**
 * Purges on a timer, as the actor `system`, in the process that runs background work. Several
 * processes may each run one: a purge re-reads what is due under the hold lock, and a document
 * already deleted by another is skipped.
 */
export function createPurgeSchedule(options: PurgeScheduleOptions): PurgeSchedule {
  const intervalMs = options.intervalHours * 3_600_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<PurgeReport | undefined> | undefined;
  let isStarted = false;

  const runOnce = async (): Promise<PurgeReport | undefined> => {
    running ??= purgeRetention(options, { actor: "system" })
      .then((report) => {
        const summary = describePurge(report);
        if (summary) options.log(`[retention] ${summary}`);
        return report;
      })
      .catch((error: unknown) => {
        const failure = asAppError(error);
        options.log(`[retention] purge failed: ${failure.message}`);
        if (failure.category === "internal") getLogger().error("[retention] purge failed", { error });
        return undefined;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const schedule = (delayMs: number) => {
    timer = setTimeout(() => {
      void runOnce().finally(() => {
        if (isStarted) schedule(intervalMs);
      });
    }, delayMs);
    // Never the reason a process stays up.
    timer.unref();
  };

  return {
    start: () => {
      if (isStarted) return;
      isStarted = true;
      schedule(options.firstRunDelayMs ?? 60_000);
    },
    stop: async () => {
      isStarted = false;
      clearTimeout(timer);
      await running;
    },
    runOnce,
  };
}

/** One line for the log, or undefined when the purge found nothing due. */
export function describePurge(report: PurgeReport): string | undefined {
  const counts = [
    report.answersPurged.length,
    report.documentsPurged.length,
    report.heldAnswers.length,
    report.heldDocuments.length,
    report.failedDocuments.length,
  ];
  if (counts.every((count) => count === 0)) return undefined;
  const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`;
  return (
    `${report.isDryRun ? "would purge" : "purged"} ${plural(report.answersPurged.length, "answer")} and ` +
    `${plural(report.documentsPurged.length, "document")} (${plural(report.erasedPassages, "kept passage")} ${report.isDryRun ? "to erase" : "erased"}); ` +
    `held back ${plural(report.heldAnswers.length, "answer")} and ${plural(report.heldDocuments.length, "document")}` +
    (report.failedDocuments.length > 0
      ? `; ${plural(report.failedDocuments.length, "document")} failed (tried again next time)`
      : "")
  );
}
