"use client";

import type { Citation } from "../../lib/domain/answer-events";

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
  const parts = text.split(/(\[\d{1,4}(?:\s*,\s*\d{1,4})*\])/g);
  return (
    <p className="answer-text" data-testid="answer-text">
      {parts.map((part, index) => {
        const numbers = part.match(/^\[([\d,\s]+)\]$/)?.[1]?.split(",").map((n) => Number.parseInt(n.trim(), 10));
        if (!numbers) return <span key={`t${index}`}>{part}</span>;
        return numbers.map((n) =>
          citations.has(n) ? (
            <button
              type="button"
              key={`c${index}-${n}`}
              className="citation"
              data-testid="citation"
              onClick={() => onOpen(n)}
            >
              [{n}]
            </button>
          ) : (
            <span key={`r${index}-${n}`} className="citation-rejected" title="This citation names no source the model was given; it was dropped.">
              [{n}]
            </span>
          ),
        );
      })}
    </p>
  );
}
