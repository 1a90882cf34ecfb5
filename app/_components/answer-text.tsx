"use client";

import type { Citation } from "../../lib/domain/answer-events";

interface Segment {
  /** Character offset in the answer: a stable key while the text streams in. */
  offset: number;
  text: string;
  /** Marker numbers when the segment is `[n]` or `[n, m]`. */
  markers: number[] | null;
}

function segment(text: string): Segment[] {
  const segments: Segment[] = [];
  let offset = 0;
  for (const part of text.split(/(\[\d{1,4}(?:\s*,\s*\d{1,4})*\])/g)) {
    const inner = part.match(/^\[([\d,\s]+)\]$/)?.[1];
    segments.push({
      offset,
      text: part,
      markers: inner ? inner.split(",").map((n) => Number.parseInt(n.trim(), 10)) : null,
    });
    offset += part.length;
  }
  return segments;
}

/**
 * Renders model output as plain text (never HTML or markdown: nothing in an answer can load a
 * resource or run script). `[n]` markers that match a checked citation become buttons; any other
 * marker is shown struck through as rejected.
 */
export function AnswerText({
  text,
  citations,
  onOpen,
}: {
  text: string;
  citations: ReadonlyMap<number, Citation>;
  onOpen: (n: number) => void;
}) {
  return (
    <p className="answer-text" data-testid="answer-text">
      {segment(text).map(({ offset, text: part, markers }) =>
        markers === null ? (
          <span key={offset}>{part}</span>
        ) : (
          markers.map((n) =>
            citations.has(n) ? (
              <button
                type="button"
                key={`${offset}-${n}`}
                className="citation"
                data-testid="citation"
                onClick={() => onOpen(n)}
              >
                [{n}]
              </button>
            ) : (
              <span
                key={`${offset}-${n}`}
                className="citation-rejected"
                title="This citation names no source the model was given; it was dropped."
              >
                [{n}]
              </span>
            ),
          )
        ),
      )}
    </p>
  );
}
