import { describe, expect, it } from "vitest";
import { analyzePage } from "../../ingest/layout/analyze-page";
import { letterPage, paragraph, run } from "./layout-fixtures";

describe("analyzePage", () => {
  it("returns no blocks for no items", () => {
    expect(analyzePage([], letterPage)).toEqual([]);
  });

  it("marks text-layer blocks with a null confidence and keeps the segmenter's text", () => {
    const blocks = analyzePage(paragraph(["Words are some-", "times hyphenated."], 72, 100), letterPage);
    expect(blocks).toEqual([
      {
        kind: "text",
        text: "Words are sometimes hyphenated.",
        box: [72, 92, 72 + 17 * 5, 114],
        source: "text_layer",
        confidence: null,
      },
    ]);
  });

  it("gives OCR blocks the character-weighted mean of their words' confidences", () => {
    const items = [run("Scanned", 72, 100, { hasEndOfLine: false }), run("page", 112, 100)];
    const [block] = analyzePage(items, letterPage, [], { source: "ocr", itemConfidences: [0.9, 0.5] });
    expect(block?.source).toBe("ocr");
    // (7 × 0.9 + 4 × 0.5) / 11
    expect(block?.confidence).toBeCloseTo(0.755, 3);
  });
});
