import { describe, expect, it } from "vitest";
import { ocrToPageBlocks } from "../../ingest/ocr/ocr-to-blocks";
import type { OcrLine, OcrResult } from "../../ingest/ocr/types";
import type { BoundingBox } from "../../lib/domain/geometry";

function line(text: string, box: BoundingBox, confidence: number): OcrLine {
  const words = text.split(" ").map((word) => ({ text: word, box, confidence }));
  return { text, box, confidence, words };
}

const result = (lines: OcrLine[][]): OcrResult => ({
  width: 1000,
  height: 1000,
  confidence: 0.9,
  blocks: lines.map((blockLines) => ({ text: "", box: [0, 0, 1, 1], confidence: 0.9, lines: blockLines })),
});

describe("ocrToPageBlocks", () => {
  it("maps pixel boxes to page coordinates through scale and offset", () => {
    const blocks = ocrToPageBlocks(result([[line("Revenue grew", [100, 200, 300, 240], 0.95)]]), {
      scale: 2,
      offsetX: 10,
      offsetY: 20,
    });
    expect(blocks).toEqual([
      { kind: "text", text: "Revenue grew", box: [60, 120, 160, 140], source: "ocr", confidence: 0.95 },
    ]);
  });

  it("joins words hyphenated at line ends and boxes the block around its lines", () => {
    const [block] = ocrToPageBlocks(
      result([[line("the segment-", [0, 0, 100, 10], 0.9), line("ation of text", [0, 12, 80, 22], 0.8)]]),
      { scale: 1, offsetX: 0, offsetY: 0 },
    );
    expect(block?.text).toBe("the segmentation of text");
    expect(block?.box).toEqual([0, 0, 100, 22]);
    expect(block?.confidence).toBeCloseTo((0.9 * 2 + 0.8 * 3) / 5);
  });

  it("drops noise lines (no letters, or unsure and unword-like) and blocks left empty", () => {
    const blocks = ocrToPageBlocks(
      result([
        [line("— . ~", [0, 0, 10, 10], 0.9), line("Net income", [0, 20, 50, 30], 0.9)],
        [line("iI l| ;", [0, 40, 10, 50], 0.35)],
        [line("EERE EEE", [0, 60, 10, 70], 0.15)],
      ]),
      { scale: 1, offsetX: 0, offsetY: 0 },
    );
    expect(blocks.map((block) => block.text)).toEqual(["Net income"]);
  });
});
