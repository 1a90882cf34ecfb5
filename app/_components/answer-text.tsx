"use client";

import type { Citation } from "../../lib/domain/answer-events";
import type { ClaimVerdict } from "../../lib/domain/claim-verdicts";
import { ClaimBadge } from "./claim-badge";

interface Segment {
  /** Character offset in the answer: a stable key while the text streams in. */
  offset: number;
  text: string;
  /** Marker numbers when the segment is `[n]` or `[n, m]`. */
  markers: number[] | null;
}

function segment(text: string, start = 0): Segment[] {
  const segments: Segment[] = [];
  let offset = start;
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

/** The text cut where verdicts go (after each checked sentence), each piece with the verdict that ends it. */
function cutAtClaims(text: string, claims: readonly ClaimVerdict[]) {
  const pieces: Array<{ start: number; text: string; claim: ClaimVerdict | null }> = [];
  let start = 0;
  for (const claim of [...claims].sort((left, right) => left.end - right.end)) {
    if (claim.end <= start || claim.end > text.length) continue;
    pieces.push({ start, text: text.slice(start, claim.end), claim });
    start = claim.end;
  }
  if (start < text.length || pieces.length === 0)
    pieces.push({ start, text: text.slice(start), claim: null });
  return pieces;
}

/**
 * Renders model output as plain text (never HTML or markdown: nothing in an answer can load a
 * resource or run script). `[n]` markers that match a checked citation become buttons; any other
 * marker is shown struck through as rejected. Each checked sentence ends with its verdict.
 */
export function AnswerText({
  text,
  citations,
  claims = [],
  rejectedMarkers,
  onOpen,
}: {
  text: string;
  citations: ReadonlyMap<number, Citation>;
  claims?: readonly ClaimVerdict[];
  /**
   * A reopened answer: the markers that were dropped when it was written. Its other markers
   * without a citation point at passages the reader can no longer open.
   */
  rejectedMarkers?: readonly number[];
  onOpen: (n: number) => void;
}) {
  return (
    <p className="answer-text" data-testid="answer-text">
      {cutAtClaims(text, claims).map((piece) => (
        <span key={piece.start}>
          {renderSegments(piece.text, piece.start, citations, onOpen, rejectedMarkers)}
          {piece.claim && <ClaimBadge claim={piece.claim} />}
        </span>
      ))}
    </p>
  );
}

function renderSegments(
  text: string,
  start: number,
  citations: ReadonlyMap<number, Citation>,
  onOpen: (n: number) => void,
  rejectedMarkers: readonly number[] | undefined,
) {
  return segment(text, start).map(({ offset, text: part, markers }) =>
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
            title={
              rejectedMarkers === undefined || rejectedMarkers.includes(n)
                ? "This citation names no source the model was given; it was dropped."
                : "This passage is no longer available to you (its document was removed, replaced or is no longer shared with you)."
            }
          >
            [{n}]
          </span>
        ),
      )
    ),
  );
}
