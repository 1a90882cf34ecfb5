import { type BoundingBox, unionBoxes } from "../../lib/domain/geometry";
import { joinLineTexts } from "../stages/segment-blocks";
import type { PageBlock } from "../types";
import type { OcrLine, OcrResult } from "./types";

/** Where the recognised image sits on the page: pageCoordinate = offset + pixel / scale. */
export interface OcrPlacement {
  /** Recognised-image pixels per page unit (e.g. render DPI / 72 for a PDF page). */
  scale: number;
  offsetX: number;
  offsetY: number;
}

/**
 * Lines under this confidence are dropped when they hold few letters: tesseract reads rules,
 * icons and photo texture as short strings of punctuation and stray letters.
 */
const noiseConfidence = 0.45;
/** Lines under this confidence are dropped whatever they hold. */
const floorConfidence = 0.2;

/**
 * OCR blocks → page blocks (kind text, source ocr) in page coordinates. Noise lines are dropped,
 * a block's text and box are rebuilt from the lines kept, hyphenated line ends joined.
 */
export function ocrToPageBlocks(result: OcrResult, placement: OcrPlacement): PageBlock[] {
  const toPage = (box: BoundingBox): BoundingBox => [
    placement.offsetX + box[0] / placement.scale,
    placement.offsetY + box[1] / placement.scale,
    placement.offsetX + box[2] / placement.scale,
    placement.offsetY + box[3] / placement.scale,
  ];
  const blocks: PageBlock[] = [];
  for (const block of result.blocks) {
    const lines = block.lines.filter(isMeaningful);
    const box = unionBoxes(lines.map((line) => line.box));
    if (lines.length === 0 || !box) continue;
    const words = lines.flatMap((line) => line.words);
    blocks.push({
      kind: "text",
      text: joinLineTexts(lines.map((line) => line.text)),
      box: toPage(box),
      source: "ocr",
      confidence: words.reduce((sum, word) => sum + word.confidence, 0) / words.length,
    });
  }
  return blocks;
}

function isMeaningful(line: OcrLine): boolean {
  const letters = line.text.match(/[\p{L}\p{N}]/gu)?.length ?? 0;
  if (letters === 0 || line.confidence < floorConfidence) return false;
  if (line.confidence >= noiseConfidence) return true;
  // A low-confidence line is kept when it reads like words: mostly letters, some words of 3+.
  const hasWord = line.words.some((word) => /[\p{L}\p{N}]{3,}/u.test(word.text));
  return hasWord && letters / line.text.replace(/\s/g, "").length >= 0.6;
}
