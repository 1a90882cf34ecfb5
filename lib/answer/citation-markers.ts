/** `[3]`, `[1, 2]`, `[1,2,5]` — the forms models use for numbered citations. */
const markerGroup = /\[(\d{1,4}(?:\s*,\s*\d{1,4})*)\]/g;

/** Every marker number in `text`, in order of first appearance, without repeats. */
export function findCitationMarkers(text: string): number[] {
  const seen = new Set<number>();
  for (const match of text.matchAll(markerGroup)) {
    for (const part of (match[1] ?? "").split(",")) seen.add(Number.parseInt(part.trim(), 10));
  }
  return [...seen];
}

export interface MarkerCheck {
  /** Newly seen markers that name a source the model was given. */
  accepted: number[];
  /** Newly seen markers that name no such source: dropped and recorded, never linked. */
  rejected: number[];
}

/**
 * Follows a streamed answer and reports each marker once, when it is complete (a marker split
 * across two pieces of the stream is reported after the second).
 */
export class CitationMarkerTracker {
  private text = "";
  private readonly reported = new Set<number>();

  constructor(private readonly sourceCount: number) {}

  push(delta: string): MarkerCheck {
    this.text += delta;
    const check: MarkerCheck = { accepted: [], rejected: [] };
    for (const n of findCitationMarkers(this.text)) {
      if (this.reported.has(n)) continue;
      this.reported.add(n);
      (n >= 1 && n <= this.sourceCount ? check.accepted : check.rejected).push(n);
    }
    return check;
  }

  get fullText(): string {
    return this.text;
  }
}
