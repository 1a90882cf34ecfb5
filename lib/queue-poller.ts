import { asAppError } from "./errors";

export interface QueuePollerOptions {
  /** Claims and runs one piece of work; true when there was some (then it looks again at once). */
  step: () => Promise<boolean>;
  /** How long an idle loop waits before it looks again (at least 5 s while `step` throws). */
  pollIntervalMs: number;
  /** Told why the loop waits, once per new reason (a missing model, a database outage). */
  onWaiting: (reason: string) => void;
}

/**
 * The loop a queue worker runs: take work while there is some, otherwise wait for the poll
 * interval or a `wake()`, whichever comes first. Shared by the ingest worker and the golden runner.
 */
export class QueuePoller {
  private isRunning = false;
  private readonly wakeUps = new Set<() => void>();
  private lastWaitReason = "";

  constructor(private readonly options: QueuePollerOptions) {}

  get running(): boolean {
    return this.isRunning;
  }

  /** Starts `loops` loops (they share the wake-ups); resolves when all of them stopped. */
  start(loops = 1): Promise<void> {
    this.isRunning = true;
    return Promise.all(Array.from({ length: Math.max(1, loops) }, () => this.loop())).then(() => {});
  }

  /** The loops finish their current step and end. */
  stop(): void {
    this.isRunning = false;
    this.wake();
  }

  /** Looks for work now instead of at the next poll. */
  wake(): void {
    for (const wakeUp of [...this.wakeUps]) wakeUp();
  }

  private async loop(): Promise<void> {
    while (this.isRunning) {
      let idleMs = this.options.pollIntervalMs;
      try {
        const didWork = await this.options.step();
        this.lastWaitReason = "";
        if (didWork) continue;
      } catch (thrown) {
        const error = asAppError(thrown);
        const reason = `${error.code}: ${error.message}`;
        if (reason !== this.lastWaitReason) this.options.onWaiting(reason);
        this.lastWaitReason = reason;
        idleMs = Math.max(idleMs, 5_000);
      }
      if (!this.isRunning) break;
      await new Promise<void>((resolve) => {
        const wakeUp = () => {
          clearTimeout(timer);
          this.wakeUps.delete(wakeUp);
          resolve();
        };
        const timer = setTimeout(wakeUp, idleMs);
        this.wakeUps.add(wakeUp);
      });
    }
  }
}
