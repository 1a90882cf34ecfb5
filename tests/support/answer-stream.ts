import type { AnswerEvent } from "../../lib/domain/answer-events";

export interface TimedAnswerStream {
  events: AnswerEvent[];
  /** `performance.now()` when the first `text-delta` arrived; null when none did. */
  firstTextAt: number | null;
  /** `performance.now()` when the stream closed. */
  endedAt: number;
}

/**
 * Reads an answer's server-sent event stream frame by frame as it arrives (unlike `readEvents`,
 * which waits for the whole body), so a client can time the first token as a user sees it.
 */
export async function readAnswerStreamTimed(response: Response): Promise<TimedAnswerStream> {
  const events: AnswerEvent[] = [];
  let firstTextAt: number | null = null;
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const piece = await reader?.read();
    if (!piece || piece.done) break;
    buffer += decoder.decode(piece.value, { stream: true });
    const frames = buffer.split("\n\n");
    buffer = frames.pop() ?? "";
    for (const frame of frames.map((text) => text.trim())) {
      if (!frame.startsWith("data: ")) continue;
      const event = JSON.parse(frame.slice(6)) as AnswerEvent;
      if (event.type === "text-delta") firstTextAt ??= performance.now();
      events.push(event);
    }
  }
  return { events, firstTextAt, endedAt: performance.now() };
}
