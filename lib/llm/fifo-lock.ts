/** A first-in first-out mutex; a waiter whose signal aborts leaves the queue. */
export class FifoLock {
  private isLocked = false;
  private readonly waiters: Array<() => void> = [];

  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.isLocked) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          this.waiters.splice(this.waiters.indexOf(grant), 1);
          reject(signal?.reason);
        };
        const grant = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        this.waiters.push(grant);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    }
    this.isLocked = true;
    let isReleased = false;
    return () => {
      if (isReleased) return;
      isReleased = true;
      // Hand the lock straight to the next waiter so that no newcomer can jump the queue.
      const next = this.waiters.shift();
      if (next) next();
      else this.isLocked = false;
    };
  }
}
