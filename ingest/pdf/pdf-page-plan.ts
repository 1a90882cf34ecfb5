import { type BoundingBox, unionBoxes } from "../../lib/domain/geometry";
import type { TextItem } from "../types";

/**
 * How a PDF page is read, decided from its text items and where its images are:
 * - `text_layer`: the PDF's own text is good; images big enough to matter become figures.
 * - `ocr`: no text layer, or garbage (unmapped fonts): the whole page is rendered and OCR'd.
 * - `mixed`: good text, plus figures without text inside, which are OCR'd on their own.
 */
export interface PagePlan {
  route: "text_layer" | "ocr" | "mixed";
  figures: { box: BoundingBox; needsOcr: boolean }[];
}

export const pagePlanTuning = {
  /** Fewer readable characters than this and the text layer is considered absent. */
  minReadableCharacters: 16,
  /** More than this share of unreadable characters (U+FFFD, private use, symbols) is garbage. */
  maxGarbageShare: 0.3,
  /** An image covering at least this share of the page is a scan of the page, not a figure. */
  pageScanShare: 0.75,
  /** A page with little text whose images cover this share of it is read by OCR. */
  minScanShare: 0.3,
  /** Images smaller than this share of the page, or this many points on a side, are decoration. */
  minFigureShare: 0.02,
  minFigureSidePoints: 40,
  /** A figure with fewer text-layer characters inside is OCR'd. */
  minTextInsideFigure: 12,
} as const;

export type TextLayerQuality = "good" | "sparse" | "none" | "garbage";

/**
 * `garbage` pages (mostly replacement characters or symbols from unmapped fonts) and pages with
 * no text at all (a scan, text drawn as outlines — or a blank page, which costs one render) are
 * OCR'd; `sparse` ones (a few words) only when images cover much of the page (a scan with a
 * stray text layer), and read as they are otherwise (a title page).
 */
export function planPage(
  items: readonly TextItem[],
  quality: TextLayerQuality,
  images: readonly BoundingBox[],
  page: { width: number; height: number },
): PagePlan {
  const pageArea = Math.max(1, page.width * page.height);
  const regions = mergeOverlapping(images).filter((box) => {
    const width = box[2] - box[0];
    const height = box[3] - box[1];
    return (
      (width * height) / pageArea >= pagePlanTuning.minFigureShare &&
      Math.min(width, height) >= pagePlanTuning.minFigureSidePoints
    );
  });
  const figureRegions = regions.filter((box) => areaOf(box) / pageArea < pagePlanTuning.pageScanShare);

  const imageShare = regions.reduce((sum, box) => sum + areaOf(box), 0) / pageArea;
  if (
    quality === "garbage" ||
    quality === "none" ||
    (quality === "sparse" && imageShare >= pagePlanTuning.minScanShare)
  ) {
    return { route: "ocr", figures: figureRegions.map((box) => ({ box, needsOcr: false })) };
  }
  const figures = figureRegions.map((box) => ({
    box,
    needsOcr: charactersInside(items, box) < pagePlanTuning.minTextInsideFigure,
  }));
  return { route: figures.some((figure) => figure.needsOcr) ? "mixed" : "text_layer", figures };
}

/** Enough readable characters, and not mostly replacement characters or symbols from unmapped fonts? */
export function textLayerQuality(items: readonly TextItem[]): TextLayerQuality {
  let readable = 0;
  let garbage = 0;
  for (const item of items) {
    for (const character of item.text) {
      if (/\s/u.test(character)) continue;
      if (/[\p{L}\p{N}\p{P}\p{Sc}]/u.test(character) && !/[\ufffd\p{Co}]/u.test(character)) readable++;
      else garbage++;
    }
  }
  if (garbage > 0 && garbage / (readable + garbage) > pagePlanTuning.maxGarbageShare) return "garbage";
  if (readable === 0) return "none";
  return readable < pagePlanTuning.minReadableCharacters ? "sparse" : "good";
}

function charactersInside(items: readonly TextItem[], box: BoundingBox): number {
  let count = 0;
  for (const item of items) {
    const centerX = (item.box[0] + item.box[2]) / 2;
    const centerY = (item.box[1] + item.box[3]) / 2;
    if (centerX >= box[0] && centerX <= box[2] && centerY >= box[1] && centerY <= box[3]) {
      count += item.text.replace(/\s/g, "").length;
    }
  }
  return count;
}

/** Images drawn as tiles or layers of one figure become one region. */
function mergeOverlapping(boxes: readonly BoundingBox[]): BoundingBox[] {
  const merged: BoundingBox[] = [];
  for (const box of boxes) {
    let current = box;
    for (let index = merged.length - 1; index >= 0; index--) {
      const other = merged[index];
      if (other && touches(other, current)) {
        current = unionBoxes([other, current]) ?? current;
        merged.splice(index, 1);
      }
    }
    merged.push(current);
  }
  return merged;
}

function touches(a: BoundingBox, b: BoundingBox): boolean {
  const slack = 1;
  return a[0] <= b[2] + slack && b[0] <= a[2] + slack && a[1] <= b[3] + slack && b[1] <= a[3] + slack;
}

function areaOf(box: BoundingBox): number {
  return (box[2] - box[0]) * (box[3] - box[1]);
}

const captionPattern = /^(fig(ure)?\.?|table|chart|exhibit|diagram|plate|graph)\s*[0-9IVXivx]+[.:\-–—\s]?/i;

/**
 * The caption of a figure: the nearest block starting "Figure 3", "Fig. 2:", "Table 1", …, below
 * (preferred) or above it, overlapping it horizontally, within `maxDistance` points.
 */
export function findCaption(
  box: BoundingBox,
  blocks: readonly { text: string; box: BoundingBox }[],
  maxDistance = 60,
): string | null {
  let best: { text: string; distance: number } | null = null;
  for (const block of blocks) {
    if (!captionPattern.test(block.text.trim())) continue;
    const overlap = Math.min(box[2], block.box[2]) - Math.max(box[0], block.box[0]);
    if (overlap <= 0) continue;
    const below = block.box[1] - box[3];
    const above = box[1] - block.box[3];
    // Below is where figure captions usually are; above gets a small penalty.
    const distance = below >= -2 ? below : above >= -2 ? above + 10 : Number.POSITIVE_INFINITY;
    if (distance <= maxDistance && (!best || distance < best.distance)) {
      best = { text: block.text.trim().slice(0, 500), distance };
    }
  }
  return best?.text ?? null;
}

/** Grid cell of the empty-area search, and the smallest empty area that could hold a figure. */
const holeCellPoints = 24;
const minHoleCells = { columns: 6, rows: 5 };

/**
 * Whether the text leaves an empty area big enough for a figure (≥ 2 × 1.7 inches) inside the
 * area the text covers. Reading where images are drawn (pdf.js's operator list) costs as much as
 * reading the text, so dense text pages skip it.
 */
export function mayHaveFigure(items: readonly TextItem[], page: { width: number; height: number }): boolean {
  if (items.length === 0) return true;
  const columns = Math.max(1, Math.ceil(page.width / holeCellPoints));
  const rows = Math.max(1, Math.ceil(page.height / holeCellPoints));
  const filled = new Uint8Array(columns * rows);
  let [top, bottom] = [rows, -1];
  for (const { box } of items) {
    const column0 = clampCell(Math.floor(box[0] / holeCellPoints), columns);
    const column1 = clampCell(Math.floor(box[2] / holeCellPoints), columns);
    const row0 = clampCell(Math.floor(box[1] / holeCellPoints), rows);
    const row1 = clampCell(Math.floor(box[3] / holeCellPoints), rows);
    top = Math.min(top, row0);
    bottom = Math.max(bottom, row1);
    for (let row = row0; row <= row1; row++)
      filled.fill(1, row * columns + column0, row * columns + column1 + 1);
  }
  // Largest empty rectangle between the first and last text rows, by histogram of empty runs.
  const heights = new Uint16Array(columns);
  for (let row = top; row <= bottom; row++) {
    for (let column = 0; column < columns; column++) {
      heights[column] = filled[row * columns + column] ? 0 : (heights[column] ?? 0) + 1;
    }
    if (hasWideEnoughRun(heights, minHoleCells.rows, minHoleCells.columns)) return true;
  }
  return false;
}

function hasWideEnoughRun(heights: Uint16Array, minHeight: number, minWidth: number): boolean {
  let run = 0;
  for (const height of heights) {
    run = height >= minHeight ? run + 1 : 0;
    if (run >= minWidth) return true;
  }
  return false;
}

function clampCell(value: number, count: number): number {
  return Math.min(count - 1, Math.max(0, value));
}
