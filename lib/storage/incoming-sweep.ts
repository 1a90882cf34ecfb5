import { asAppError } from "../errors";
import type { BlobStore } from "./blob-store";

export interface IncomingSweepOptions {
  blobs: BlobStore;
  /** `.incoming` files not written for this long are an interrupted upload's (INCOMING_MAX_AGE_MINUTES). */
  maxAgeMinutes: number;
  log: (message: string) => void;
}

export interface IncomingSweep {
  /** Sweeps once now, then every `maxAgeMinutes`. */
  start(): void;
  stop(): Promise<void>;
  /** One sweep (as the timer runs it): never throws, logs a failure. Resolves to the files removed. */
  runOnce(): Promise<number>;
}

/**
 * Removes what uploads interrupted by a crash or a kill left in `<blobs>/.incoming`. Any process
 * may run one: age decides (a live upload keeps writing its file), and files this process is
 * writing are skipped whatever their age.
 */
export function createIncomingSweep(options: IncomingSweepOptions): IncomingSweep {
  const maxAgeMs = options.maxAgeMinutes * 60_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  const runOnce = (): Promise<number> => {
    running ??= options.blobs
      .sweepIncoming({ olderThanMs: maxAgeMs })
      .then((removed) => {
        if (removed > 0) {
          options.log(
            `[blobs] removed ${removed} interrupted upload file(s) older than ${options.maxAgeMinutes} min`,
          );
        }
        return removed;
      })
      .catch((error: unknown) => {
        options.log(`[blobs] sweeping interrupted uploads failed: ${asAppError(error).message}`);
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  return {
    start: () => {
      void runOnce();
      timer = setInterval(() => void runOnce(), maxAgeMs);
      // Never the reason a process stays up.
      timer.unref();
    },
    stop: async () => {
      clearInterval(timer);
      await running;
    },
    runOnce,
  };
}
