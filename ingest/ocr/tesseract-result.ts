import type Tesseract from "tesseract.js";
import { type BoundingBox, unionBoxes } from "../../lib/domain/geometry";
import { joinLineTexts } from "../stages/segment-blocks";
import type { OcrBlock, OcrLine, OcrResult, OcrText } from "./types";

/**
 * tesseract's page → our result: one block per tesseract paragraph (its blocks are layout regions
 * that may hold several paragraphs), confidences scaled to [0, 1], texts whitespace-normalised,
 * empty words and lines dropped.
 */
export function toOcrResult(page: Tesseract.Page, width: number, height: number): OcrResult {
  const blocks: OcrBlock[] = [];
  let confidenceSum = 0;
  let wordCount = 0;
  for (const block of page.blocks ?? []) {
    for (const paragraph of block.paragraphs) {
      const lines: OcrLine[] = [];
      for (const line of paragraph.lines) {
        const words = line.words
          .map(
            (word): OcrText => ({
              text: word.text.trim(),
              box: toBox(word.bbox),
              confidence: word.confidence / 100,
            }),
          )
          .filter((word) => word.text !== "");
        if (words.length === 0) continue;
        for (const word of words) confidenceSum += word.confidence;
        wordCount += words.length;
        lines.push({
          text: words.map((word) => word.text).join(" "),
          box: toBox(line.bbox),
          confidence: mean(words.map((word) => word.confidence)),
          words,
        });
      }
      for (const group of splitParagraph(lines)) {
        blocks.push({
          text: joinLineTexts(group.map((line) => line.text)),
          box: unionBoxes(group.map((line) => line.box)) ?? toBox(paragraph.bbox),
          confidence: mean(group.flatMap((line) => line.words.map((word) => word.confidence))),
          lines: group,
        });
      }
    }
  }
  return { width, height, confidence: wordCount === 0 ? 0 : confidenceSum / wordCount, blocks };
}

/**
 * tesseract often makes one "paragraph" of a whole form, receipt or slide. A blank line's worth of
 * vertical gap, a line beside rather than below the previous one, or a jump in text height starts
 * a new block, so each block's box stays tight around what it says.
 */
function splitParagraph(lines: readonly OcrLine[]): OcrLine[][] {
  const heights = lines.map((line) => line.box[3] - line.box[1]).sort((a, b) => a - b);
  const usualHeight = Math.max(1, heights[Math.floor(heights.length / 2)] ?? 1);
  const groups: OcrLine[][] = [];
  let group: OcrLine[] = [];
  for (const line of lines) {
    const previous = group[group.length - 1];
    if (previous && startsNewBlock(previous, line, usualHeight)) {
      groups.push(group);
      group = [];
    }
    group.push(line);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** Line boxes are tight around the ink, so spacing is judged top to top against the usual height. */
function startsNewBlock(previous: OcrLine, line: OcrLine, usualHeight: number): boolean {
  const previousHeight = previous.box[3] - previous.box[1];
  const height = line.box[3] - line.box[1];
  const step = line.box[1] - previous.box[1];
  const overlap = Math.min(previous.box[2], line.box[2]) - Math.max(previous.box[0], line.box[0]);
  const narrower = Math.min(previous.box[2] - previous.box[0], line.box[2] - line.box[0]);
  return (
    step > 2.2 * Math.max(usualHeight, previousHeight) ||
    overlap < 0.3 * narrower ||
    Math.max(previousHeight, height) > 1.8 * Math.max(1, Math.min(previousHeight, height))
  );
}

function toBox(bbox: Tesseract.Bbox): BoundingBox {
  return [bbox.x0, bbox.y0, bbox.x1, bbox.y1];
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}
