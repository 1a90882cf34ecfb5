import { AppError } from "../errors";

/** What a refused asker is told to wait: about one answer's time on a CPU. */
const retryAfterSeconds = 5;

/**
 * The bounded queue in front of the model: at most `capacity` answers in progress (generating,
 * or waiting for the model, which answers one at a time). One more is refused at once with 429
 * and `Retry-After`, instead of piling up behind the others until every one of them times out.
 * A slot is freed when its answer ends, fails or is cancelled (the stop button, a closed connection).
 */
export class AnswerQueue {
  #inProgress = 0;

  constructor(readonly capacity: number) {}

  get inProgress(): number {
    return this.#inProgress;
  }

  /** Takes a slot, or throws `rate_limited:answer_queue`. The returned release is idempotent. */
  admit(): () => void {
    if (this.#inProgress >= this.capacity) {
      throw new AppError("rate_limited:answer_queue", {
        message: `Folio is answering ${this.capacity} questions already; ask again in a few seconds.`,
        retryAfterSeconds,
      });
    }
    this.#inProgress += 1;
    let isReleased = false;
    return () => {
      if (isReleased) return;
      isReleased = true;
      this.#inProgress -= 1;
    };
  }
}

/** `events`, releasing the slot once they end, fail or the consumer stops. */
export async function* holdingSlot<Event>(
  events: AsyncIterable<Event>,
  release: () => void,
): AsyncGenerator<Event> {
  try {
    yield* events;
  } finally {
    release();
  }
}
