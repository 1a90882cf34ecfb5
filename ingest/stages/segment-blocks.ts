import { type BoundingBox, unionBoxes } from "../../lib/domain/geometry";
import type { TextBlock, TextItem } from "../types";

/**
 * Groups a page's text items into paragraph-like blocks in reading order, from geometry alone
 * (pdf.js content order is only a hint: producers draw text in any order).
 *
 * items → rows (vertically overlapping items) → lines (a row split at column-sized gaps) →
 * blocks (consecutive lines of one column with regular spacing) → reading order (top to bottom,
 * columns left to right).
 */
export function segmentBlocks(items: readonly TextItem[]): TextBlock[] {
  return orderBlocks(groupLines(buildLines(items))).map((block) => ({
    text: joinLineTexts(block.lines.map((line) => line.text)),
    box: block.box,
    lineCount: block.lines.length,
    fontSize: block.fontSize,
  }));
}

/** Items → lines → paragraph-like blocks, not yet in reading order (see `orderBlocks`). */
export function groupLines(lines: readonly Line[]): LineBlock[] {
  return groupLinesIntoBlocks(lines).map(placeBlock);
}

/** Ratios of the font size (em) that decide the grouping; tuned on LaTeX, Word and builder PDFs. */
const tuning = {
  /** An item joins a line when their vertical overlap is at least this share of the shorter one. */
  rowOverlapShare: 0.5,
  /** Items more than this many times taller than a line are not part of it (rotated margin text). */
  rowHeightRatioMax: 3,
  /** Kerning and italics overlap neighbours slightly; more overlap than this is another line. */
  overlapToleranceEm: 0.3,
  /**
   * A horizontal gap wider than this splits a row into separate lines: column gutters can be as
   * narrow as 1 em (Federal Register), word spaces are ~0.25–0.5 em.
   */
  lineSplitGapEm: 0.7,
  /**
   * …unless the second item was drawn right after the first, on the same line: then it is the
   * same text flow (justified text, tab stops), and only a gap wider than this splits it.
   */
  lineSplitGapDrawnInOrderEm: 4,
  /** A gap between two items wider than this is a word break. */
  wordGapEm: 0.15,
  /** Font sizes within this relative difference are "the same size". */
  fontSizeTolerance: 0.15,
  /** A line joins a block when its baseline distance is at most this times the usual leading. */
  leadingToleranceFactor: 1.25,
  /** Usual leading (baseline distance / font size) assumed bounds. */
  leadingMin: 1,
  leadingMax: 1.6,
  /** A line indented by more than this after a short line starts a new paragraph. */
  paragraphIndentEm: 0.8,
  /** A line ending this far before the block's right edge is "short" (a paragraph's last line). */
  shortLineEm: 1.5,
  /** A two-column gutter is searched in this central share of the text width. */
  gutterSearchShare: [0.25, 0.75] as const,
} as const;

interface PositionedItem {
  item: TextItem;
  /** Index in the input (drawing order). */
  order: number;
}

interface OpenLine {
  members: PositionedItem[];
  /** Vertical band of the line's largest text. */
  top: number;
  bottom: number;
  bandFontSize: number;
}

/** A run of items read as one line of text (one column's line, not a page-wide row). */
export interface Line {
  text: string;
  box: BoundingBox;
  fontSize: number;
  /** Bottom of the line's main-size items: a stand-in for the baseline. */
  baseline: number;
  /** The line's items, left to right (duplicate draws left out). */
  items: TextItem[];
}

/** A block being built; the extents are kept up to date as lines join. */
interface Block {
  lines: Line[];
  fontSize: number;
  left: number;
  right: number;
  /** Baseline distances between consecutive lines. */
  leadings: number[];
}

/** A finished block with its box and size, computed once for ordering. */
export interface LineBlock {
  lines: Line[];
  box: BoundingBox;
  characters: number;
  /** Dominant font size of the block's lines. */
  fontSize: number;
}

/** What `orderBlocks` needs of a block: where it is and how much text it holds. */
export interface OrderableBlock {
  box: BoundingBox;
  characters: number;
  lines: readonly unknown[];
}

const x0 = (box: BoundingBox) => box[0];
const y0 = (box: BoundingBox) => box[1];
const x1 = (box: BoundingBox) => box[2];
const y1 = (box: BoundingBox) => box[3];
const heightOf = (box: BoundingBox) => box[3] - box[1];

/**
 * Chains items left to right into lines (unordered): an item continues the open line whose main band it
 * overlaps vertically and whose last item ends just before it. Working per line rather than per
 * page-wide row keeps columns with different baselines apart.
 */
export function buildLines(items: readonly TextItem[]): Line[] {
  const byLeft = items
    .map((item, order) => ({ item, order }))
    .sort((a, b) => x0(a.item.box) - x0(b.item.box) || a.order - b.order);
  const open: OpenLine[] = [];
  for (const entry of byLeft) {
    const box = entry.item.box;
    const height = Math.max(heightOf(box), 0.1);
    let best: { line: OpenLine; overlapShare: number } | null = null;
    for (const line of open) {
      const last = line.members.at(-1);
      if (!last || !continuesLine(last, entry)) continue;
      const bandHeight = Math.max(line.bottom - line.top, 0.1);
      const overlap = Math.min(line.bottom, y1(box)) - Math.max(line.top, y0(box));
      const overlapShare = overlap / Math.min(bandHeight, height);
      const heightRatio = Math.max(bandHeight, height) / Math.min(bandHeight, height);
      if (overlapShare < tuning.rowOverlapShare || heightRatio > tuning.rowHeightRatioMax) continue;
      if (!best || overlapShare > best.overlapShare) best = { line, overlapShare };
    }
    if (best) {
      const line = best.line;
      const last = line.members.at(-1);
      if (last && isDuplicateDraw(last.item, entry.item)) continue;
      line.members.push(entry);
      // The band follows the line's largest text, so superscripts do not drag it up or down.
      if (entry.item.fontSize > line.bandFontSize) {
        line.top = y0(box);
        line.bottom = y1(box);
        line.bandFontSize = entry.item.fontSize;
      }
    } else {
      open.push({ members: [entry], top: y0(box), bottom: y1(box), bandFontSize: entry.item.fontSize });
    }
  }
  return open.map((line) => {
    const lineItems = line.members.map((member) => member.item);
    return buildLine(lineItems, isMostlyRightToLeft(lineItems.map((item) => item.text).join("")));
  });
}

/** Whether `next` may follow `previous` on one line, judging by the horizontal gap. */
function continuesLine(previous: PositionedItem, next: PositionedItem): boolean {
  const gap = x0(next.item.box) - x1(previous.item.box);
  const em = Math.max(previous.item.fontSize, next.item.fontSize, 1);
  if (gap < -tuning.overlapToleranceEm * em) return isDuplicateDraw(previous.item, next.item);
  // Right-to-left text is drawn from the right, so the drawing successor may sit on the left.
  const drawnInOrder =
    (next.order === previous.order + 1 && !previous.item.hasEndOfLine) ||
    (previous.order === next.order + 1 && !next.item.hasEndOfLine);
  return gap <= em * (drawnInOrder ? tuning.lineSplitGapDrawnInOrderEm : tuning.lineSplitGapEm);
}

/** Fake bold and shadows draw the same run twice, slightly offset. */
function isDuplicateDraw(previous: TextItem, next: TextItem): boolean {
  return (
    previous.text === next.text &&
    Math.abs(x0(previous.box) - x0(next.box)) < 0.2 * next.fontSize &&
    Math.abs(y0(previous.box) - y0(next.box)) < 0.2 * next.fontSize
  );
}

function buildLine(items: TextItem[], isRightToLeft: boolean): Line {
  // Right-to-left runs are already in logical order inside each item; the items themselves
  // are read from the right.
  const ordered = isRightToLeft ? [...items].reverse() : items;
  let text = "";
  ordered.forEach((item, index) => {
    const previous = ordered[index - 1];
    if (previous) {
      const gap = isRightToLeft ? x0(previous.box) - x1(item.box) : x0(item.box) - x1(previous.box);
      const em = Math.min(previous.fontSize, item.fontSize);
      if (gap > tuning.wordGapEm * em) text += " ";
    }
    text += item.text;
  });

  const fontSize = dominantFontSize(items);
  const mainItems = items.filter((item) => isSameSize(item.fontSize, fontSize));
  return {
    text: normalizeSpaces(text),
    box: unionBoxes(items.map((item) => item.box)) ?? [0, 0, 0, 0],
    fontSize,
    baseline: Math.max(...mainItems.map((item) => y1(item.box))),
    items,
  };
}

function groupLinesIntoBlocks(lines: readonly Line[]): Block[] {
  const sorted = [...lines].sort((a, b) => y0(a.box) - y0(b.box) || x0(a.box) - x0(b.box));
  const usualLeading = estimateUsualLeading(sorted);
  const blocks: Block[] = [];
  for (const line of sorted) {
    let best: { block: Block; distance: number } | null = null;
    for (const block of blocks) {
      const distance = continuationDistance(block, line, usualLeading);
      if (distance !== null && (best === null || distance < best.distance)) best = { block, distance };
    }
    if (best) {
      best.block.leadings.push(best.distance);
      best.block.lines.push(line);
      best.block.left = Math.min(best.block.left, x0(line.box));
      best.block.right = Math.max(best.block.right, x1(line.box));
    } else {
      blocks.push({
        lines: [line],
        fontSize: line.fontSize,
        left: x0(line.box),
        right: x1(line.box),
        leadings: [],
      });
    }
  }
  return blocks;
}

function placeBlock(block: Block): LineBlock {
  return {
    lines: block.lines,
    box: unionBoxes(block.lines.map((line) => line.box)) ?? [0, 0, 0, 0],
    characters: block.lines.reduce((sum, line) => sum + line.text.length, 0),
    fontSize: block.fontSize,
  };
}

/** Baseline distance from the block's last line when `line` continues the block, else null. */
function continuationDistance(block: Block, line: Line, usualLeading: number): number | null {
  const last = block.lines.at(-1);
  if (!last || !isSameSize(block.fontSize, line.fontSize)) return null;
  if (horizontalOverlap(last.box, line.box) <= 0) return null;
  const distance = line.baseline - last.baseline;
  if (distance < 0.5 * line.fontSize) return null;

  const expected = median(block.leadings) ?? usualLeading * line.fontSize;
  if (distance > expected * tuning.leadingToleranceFactor) return null;

  if (block.lines.length >= 2) {
    const isIndented = x0(line.box) - x0(last.box) > tuning.paragraphIndentEm * line.fontSize;
    const lastWasAtLeftEdge = x0(last.box) - block.left < 0.5 * line.fontSize;
    const lastWasShort = block.right - x1(last.box) > tuning.shortLineEm * line.fontSize;
    if (isIndented && lastWasAtLeftEdge && lastWasShort) return null;
  }
  return distance;
}

/**
 * The page's most common baseline distance between vertically adjacent lines of one size, in
 * em, clamped to a plausible leading: a page of one-line paragraphs must not teach us that
 * paragraph spacing is line spacing.
 */
function estimateUsualLeading(sortedLines: Line[]): number {
  const ratios: number[] = [];
  sortedLines.forEach((line, index) => {
    // The next line of the same column is near in the y-sorted list; a window keeps this linear.
    const below = sortedLines
      .slice(index + 1, index + 40)
      .find(
        (candidate) =>
          candidate.baseline - line.baseline > 0.5 * line.fontSize &&
          horizontalOverlap(candidate.box, line.box) > 0 &&
          isSameSize(candidate.fontSize, line.fontSize),
      );
    if (below) ratios.push((below.baseline - line.baseline) / line.fontSize);
  });
  const plausible = ratios.filter((ratio) => ratio <= 3);
  if (plausible.length === 0) return 1.2;
  // Mode of 0.05-em buckets, ties to the smaller leading.
  const counts = new Map<number, number>();
  for (const ratio of plausible) {
    const bucket = Math.round(ratio * 20);
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  const [modeBucket] = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0] ?? [24];
  return Math.min(Math.max(modeBucket / 20, tuning.leadingMin), tuning.leadingMax);
}

/**
 * Top to bottom; on a page with columns, blocks that cross the first gutter (titles, full-width
 * figures) cut the page into bands, and each band is read left column first, the right part
 * ordered the same way (so three columns are read left to right).
 */
export function orderBlocks<T extends OrderableBlock>(blocks: readonly T[], depth = 0): T[] {
  const byTop = [...blocks].sort((a, b) => y0(a.box) - y0(b.box) || x0(a.box) - x0(b.box));
  // Each level splits off one column; three levels cover four columns.
  const gutter = depth < 3 ? findGutter(blocks) : null;
  if (gutter === null) return byTop;

  const isSpanning = (block: T) => x0(block.box) < gutter && x1(block.box) > gutter;
  const spanningTops = byTop.filter(isSpanning).map((block) => y0(block.box));
  const bands: { left: T[]; right: T[]; spanning: T[] }[] = Array.from(
    { length: spanningTops.length + 1 },
    () => ({ left: [], right: [], spanning: [] }),
  );
  for (const block of byTop) {
    // Band k holds what starts below the k-th spanning block's top (the spanning block first).
    const bandIndex = spanningTops.filter((top) => top <= y0(block.box)).length;
    const band = bands[bandIndex];
    if (!band) continue;
    if (isSpanning(block)) band.spanning.push(block);
    else if (x1(block.box) <= gutter) band.left.push(block);
    else band.right.push(block);
  }
  return bands.flatMap((band) => [
    ...band.spanning,
    ...orderBlocks(band.left, depth + 1),
    ...orderBlocks(band.right, depth + 1),
  ]);
}

/**
 * The x of a vertical gutter with text on both sides at the same heights, crossed by as little
 * text as possible (and by at most a third of it), or null for a single-column page.
 */
function findGutter(blocks: readonly OrderableBlock[]): number | null {
  if (blocks.length < 4) return null;
  const left = Math.min(...blocks.map((block) => x0(block.box)));
  const right = Math.max(...blocks.map((block) => x1(block.box)));
  const totalCharacters = blocks.reduce((sum, block) => sum + block.characters, 0);
  const [startShare, endShare] = tuning.gutterSearchShare;

  let best: { start: number; end: number; crossing: number } | null = null;
  for (let x = Math.ceil(left + (right - left) * startShare); x <= left + (right - left) * endShare; x++) {
    let crossing = 0;
    for (const block of blocks) if (x0(block.box) < x && x1(block.box) > x) crossing += block.characters;
    if (best === null || crossing < best.crossing) best = { start: x, end: x, crossing };
    else if (crossing === best.crossing && best.end === x - 1) best.end = x;
  }
  if (!best || best.crossing > totalCharacters / 3) return null;

  const gutter = (best.start + best.end) / 2;
  const leftSide = blocks.filter((block) => x1(block.box) <= gutter);
  const rightSide = blocks.filter((block) => x0(block.box) >= gutter);
  const sideBySide = leftSide.some((a) =>
    rightSide.some((b) => Math.min(y1(a.box), y1(b.box)) - Math.max(y0(a.box), y0(b.box)) > 0),
  );
  const linesOn = (side: OrderableBlock[]) => side.reduce((sum, block) => sum + block.lines.length, 0);
  return sideBySide && linesOn(leftSide) >= 3 && linesOn(rightSide) >= 3 ? gutter : null;
}

/**
 * Joins line texts with spaces. A line ending in a hyphen after a letter continues its word: the
 * hyphen goes when the next line starts in lowercase (hyphen-\nation → hyphenation), and stays,
 * without a space, otherwise (Trace-\nMonkey → Trace-Monkey, 10-\n20 → 10-20).
 */
export function joinLineTexts(lineTexts: readonly string[]): string {
  let text = "";
  for (const lineText of lineTexts) {
    if (text === "") {
      text = lineText;
    } else if (text.endsWith("\u00ad")) {
      text = text.slice(0, -1) + lineText;
    } else if (/\p{L}[-\u2010]$/u.test(text) && /^\p{Ll}/u.test(lineText)) {
      text = text.slice(0, -1) + lineText;
    } else if (/[\p{L}\p{N}][-\u2010]$/u.test(text)) {
      text += lineText;
    } else {
      text = `${text} ${lineText}`;
    }
  }
  // Soft hyphens are invisible break hints; inside a line they are noise.
  return text.replaceAll("\u00ad", "");
}

/** The font size carrying the most characters (rounded to 0.1 pt), larger on ties; 0 for none. */
export function dominantFontSize(items: readonly Pick<TextItem, "text" | "fontSize">[]): number {
  const weightBySize = new Map<number, number>();
  for (const item of items) {
    const size = Math.round(item.fontSize * 10) / 10;
    weightBySize.set(size, (weightBySize.get(size) ?? 0) + item.text.length);
  }
  return [...weightBySize.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0] ?? 0;
}

export function isSameSize(a: number, b: number): boolean {
  return Math.abs(a - b) <= tuning.fontSizeTolerance * Math.max(a, b);
}

function isMostlyRightToLeft(text: string): boolean {
  const rightToLeft = text.match(/[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]/g)?.length ?? 0;
  const leftToRight = text.match(/[\p{L}]/gu)?.length ?? 0;
  return rightToLeft > leftToRight - rightToLeft;
}

function normalizeSpaces(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function horizontalOverlap(a: BoundingBox, b: BoundingBox): number {
  return Math.min(x1(a), x1(b)) - Math.max(x0(a), x0(b));
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? null;
}
