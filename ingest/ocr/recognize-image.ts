import type { Sharp } from "sharp";
import type { OcrEngine, OcrResult } from "./types";

/** Pixels tesseract is given at most (time grows with the area); larger images are shrunk. */
const maxOcrPixels = 16_000_000;
/**
 * Lines lower than this (tesseract's line box, ascender to descender) are upscaled to about the
 * target and re-read: measured on chart labels (9 px lines: 0.74 → 0.80 mean confidence at 2×),
 * while 12–16 px document text reads as well at 1× as at 2× (qr_bill_example: 0.76 vs 0.76).
 */
const minReadableLineHeightPx = 12;
const targetLineHeightPx = 20;
const maxUpscale = 4;
/** Images up to this size are always read a second time at twice the size. */
const smallImagePixels = 1_000_000;

export interface ScaledOcrResult {
  result: OcrResult;
  /** OCR pixels per source pixel: source coordinate = OCR coordinate / scale. */
  scale: number;
}

/**
 * OCR at a size tesseract reads well. A first pass at the image's own size (shrunk when huge)
 * measures the text height; small text gets a second pass upscaled to ~20 px lines, and small
 * images (screenshots, charts) a second, sparse pass at twice the size; the pass that reads more
 * text with confidence wins.
 *
 * `source` must return a fresh pipeline of the oriented image each call; `width`/`height` are
 * that image's size.
 */
export async function recognizeImage(
  ocr: OcrEngine,
  source: () => Sharp,
  size: { width: number; height: number },
  options: { signal?: AbortSignal } = {},
): Promise<ScaledOcrResult> {
  const pixels = size.width * size.height;
  const baseScale = Math.min(1, Math.sqrt(maxOcrPixels / pixels));
  const first = await recognizeAt(ocr, source, size, baseScale, "page", options.signal);

  const lineHeight = medianLineHeight(first.result);
  const isSmall = pixels * baseScale ** 2 <= smallImagePixels;
  let factor = 1;
  if (lineHeight !== null && lineHeight < minReadableLineHeightPx) {
    factor = Math.min(maxUpscale, targetLineHeightPx / lineHeight);
  } else if (isSmall) {
    // Small images (screenshots, charts) are cheap to read twice, and their labels are often
    // smaller than the median line found or dropped as graphics by the page layout: a second,
    // sparse look at twice the size finds more (vega-lite charts: axis numbers appear).
    factor = 2;
  }
  const scale = Math.min(baseScale * factor, Math.sqrt(maxOcrPixels / pixels));
  if (scale / baseScale < 1.4) return first;

  const second = await recognizeAt(ocr, source, size, scale, isSmall ? "sparse" : "page", options.signal);
  return score(second.result) > score(first.result) ? second : first;
}

/** Confidence summed over the words read with some confidence: more text read well scores higher. */
function score(result: OcrResult): number {
  let total = 0;
  for (const block of result.blocks) {
    for (const line of block.lines) {
      for (const word of line.words) if (word.confidence >= 0.5) total += word.confidence * word.text.length;
    }
  }
  return total;
}

async function recognizeAt(
  ocr: OcrEngine,
  source: () => Sharp,
  size: { width: number; height: number },
  scale: number,
  layout: "page" | "sparse",
  signal: AbortSignal | undefined,
): Promise<ScaledOcrResult> {
  let pipeline = source().flatten({ background: "#ffffff" }).greyscale();
  if (scale !== 1) {
    pipeline = pipeline.resize({
      width: Math.max(1, Math.round(size.width * scale)),
      height: Math.max(1, Math.round(size.height * scale)),
      fit: "fill",
    });
  }
  const { data, info } = await pipeline.png({ compressionLevel: 1 }).toBuffer({ resolveWithObject: true });
  const result = await ocr.recognize(data, { signal, layout });
  // Rounding makes the real scale differ slightly from the requested one.
  return { result, scale: info.width / size.width };
}

function medianLineHeight(result: OcrResult): number | null {
  const heights = result.blocks
    .flatMap((block) => block.lines)
    .filter((line) => line.confidence >= 0.5)
    .map((line) => line.box[3] - line.box[1])
    .sort((a, b) => a - b);
  // The lower median: with few lines (a chart's title and its labels) the small text decides.
  return heights.length === 0 ? null : (heights[Math.floor((heights.length - 1) / 2)] ?? null);
}
