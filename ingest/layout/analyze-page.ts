import { type BoundingBox, unionBoxes } from "../../lib/domain/geometry";
import {
  buildLines,
  dominantFontSize,
  groupLines,
  joinLineTexts,
  type Line,
  orderBlocks,
} from "../stages/segment-blocks";
import type { PageBlock, TableContent, TextItem, TextSource } from "../types";
import { findTables, type Segment } from "./find-tables";
import { type HeadingStyle, type HeadingStyles, headingLevelOf, numberingLevel } from "./headings";
import { tableToMarkdown } from "./table-markdown";

export interface AnalyzeOptions {
  /** Body text size of the document, if the caller knows it; else the page's dominant size. */
  bodyFontSize?: number;
  /** Where the items come from. @default "text_layer" */
  source?: TextSource;
  /**
   * OCR only: each item's confidence in [0, 1], parallel to `items`; a block's confidence is
   * the character-weighted mean of its items'. Without it, confidence is null.
   */
  itemConfidences?: readonly number[];
  /**
   * Font ids (`TextItem.fontName`) known to be bold, e.g. from `isBoldFontName` on the names in
   * `page.commonObjs` after `getOperatorList`. Without it, weight plays no part.
   */
  boldFonts?: ReadonlySet<string>;
  /**
   * One per document (`createHeadingStyles()`), passed with every page in order: it learns the
   * size and weight of numbered headings per level, so that unnumbered headings set alike
   * ("Abstract", "References") get the same level on this and later pages.
   */
  headingStyles?: HeadingStyles;
}

/** "Table 3", "TABLE II.", "Tab. 4:" at the start of a block: a table caption. */
const tableCaption = /^(table|tab\.)\s*([0-9]{1,3}|[IVXLC]{1,6})\b/i;

/**
 * One page's text items → blocks in reading order: tables (by ruling lines when `rulings` are
 * given, and by column alignment) as Markdown with their caption, headings with a level, and
 * the remaining text as paragraph blocks. Items inside a table appear only in the table.
 */
export function analyzePage(
  items: readonly TextItem[],
  page: { width: number; height: number },
  rulings: readonly Segment[] = [],
  options: AnalyzeOptions = {},
): PageBlock[] {
  const source = options.source ?? "text_layer";
  const confidenceOf = confidenceLookup(items, options.itemConfidences);
  const tables = findTables(items, page, rulings);
  const inTable = new Set(tables.flatMap((table) => table.itemIndexes));
  const rest = items.filter((_, index) => !inTable.has(index));
  const bodyFontSize = options.bodyFontSize ?? dominantFontSize(rest.length > 0 ? rest : items);

  type Entry = { block: PageBlock; box: BoundingBox; characters: number; lines: readonly unknown[] };
  const entries: Entry[] = [];
  const textEntries: { lines: Line[]; entry: Entry; style: HeadingStyle; isNumbered: boolean }[] = [];
  const isBoldLine = (line: Line) =>
    options.boldFonts ? isMostlyBold(line.items, options.boldFonts) : false;
  for (const group of groupLines(buildLines(rest))) {
    for (const lines of splitLeadingHeading(group.lines, group.box, isBoldLine)) {
      const text = joinLineTexts(lines.map((line) => line.text));
      const lineItems = lines.flatMap((line) => line.items);
      const fontSize = dominantFontSize(lineItems);
      const isBold = options.boldFonts ? isMostlyBold(lineItems, options.boldFonts) : false;
      const level = headingLevelOf({ text, lineCount: lines.length, fontSize, isBold }, bodyFontSize);
      const box = unionBoxes(lines.map((line) => line.box)) ?? group.box;
      const block: PageBlock = {
        kind: level === null ? "text" : "heading",
        text,
        box,
        source,
        confidence: confidenceOf(lineItems),
        ...(level === null ? {} : { headingLevel: level }),
      };
      const entry = { block, box, characters: text.length, lines };
      textEntries.push({
        lines,
        entry,
        style: { fontSize, isBold },
        isNumbered: numberingLevel(text) !== null,
      });
    }
  }
  // Unnumbered headings ("Abstract", "References") take the level of numbered ones set alike.
  const styles = options.headingStyles;
  if (styles) {
    for (const { entry, style, isNumbered } of textEntries) {
      if (isNumbered && entry.block.headingLevel !== undefined) styles.learn(style, entry.block.headingLevel);
    }
    for (const { entry, style, isNumbered } of textEntries) {
      const learned = isNumbered || entry.block.kind !== "heading" ? null : styles.levelOf(style);
      if (learned !== null) entry.block.headingLevel = learned;
    }
  }

  const captions = new Set<Entry>();
  for (const table of tables) {
    const caption = nearestCaption(
      table.box,
      textEntries.map(({ entry }) => entry).filter((entry) => !captions.has(entry)),
    );
    if (caption) captions.add(caption);
    const content: TableContent = {
      rows: table.rows,
      headerRowCount: table.headerRowCount,
      caption: caption?.block.text ?? null,
    };
    const box = unionBoxes(caption ? [table.box, caption.box] : [table.box]) ?? table.box;
    const tableItems = table.itemIndexes.map((index) => items[index]).filter((item) => item !== undefined);
    entries.push({
      block: {
        kind: "table",
        text: tableToMarkdown(content),
        box,
        source,
        confidence: confidenceOf(tableItems),
        table: content,
      },
      box,
      characters: table.rows.reduce((sum, row) => sum + row.join(" ").length, 0),
      lines: table.rows,
    });
  }
  for (const { entry } of textEntries) if (!captions.has(entry)) entries.push(entry);
  return orderBlocks(entries).map((entry) => entry.block);
}

/**
 * A paragraph block whose first line is a heading set at body size ("2.1 Methods", or a bold
 * line over regular text) followed by its text at regular spacing: the heading line becomes a
 * block of its own.
 */
function splitLeadingHeading(lines: Line[], box: BoundingBox, isBoldLine: (line: Line) => boolean): Line[][] {
  const [first, ...rest] = lines;
  if (!first || rest.length === 0) return [lines];
  const isShort = box[2] - first.box[2] > 3 * first.fontSize;
  const isNumbered = numberingLevel(first.text) !== null;
  const isBoldLead = isBoldLine(first) && !rest.some(isBoldLine);
  if (!isShort || !(isNumbered || isBoldLead)) return [lines];
  const level = headingLevelOf(
    { text: first.text, lineCount: 1, fontSize: first.fontSize, isBold: isBoldLead },
    first.fontSize,
  );
  return level === null ? [lines] : [[first], rest];
}

/** The closest block starting with "Table N" right above or below the table, overlapping it horizontally. */
function nearestCaption<T extends { block: PageBlock; box: BoundingBox }>(
  tableBox: BoundingBox,
  candidates: readonly T[],
): T | null {
  let best: { entry: T; distance: number } | null = null;
  for (const entry of candidates) {
    if (entry.block.kind === "table" || !tableCaption.test(entry.block.text)) continue;
    const overlap = Math.min(entry.box[2], tableBox[2]) - Math.max(entry.box[0], tableBox[0]);
    if (overlap <= 0) continue;
    const distance =
      entry.box[3] <= tableBox[1] + 2 ? tableBox[1] - entry.box[3] : entry.box[1] - tableBox[3];
    if (distance < -2 || distance > Math.max(36, 1.5 * (entry.box[3] - entry.box[1]))) continue;
    if (!best || distance < best.distance) best = { entry, distance };
  }
  return best?.entry ?? null;
}

function isMostlyBold(items: readonly TextItem[], boldFonts: ReadonlySet<string>): boolean {
  let bold = 0;
  let total = 0;
  for (const item of items) {
    total += item.text.length;
    if (boldFonts.has(item.fontName)) bold += item.text.length;
  }
  return total > 0 && bold >= 0.8 * total;
}

function confidenceLookup(
  items: readonly TextItem[],
  confidences: readonly number[] | undefined,
): (members: readonly TextItem[]) => number | null {
  if (!confidences) return () => null;
  const byItem = new Map<TextItem, number>();
  items.forEach((item, index) => {
    const confidence = confidences[index];
    if (confidence !== undefined && Number.isFinite(confidence)) byItem.set(item, confidence);
  });
  return (members) => {
    let weighted = 0;
    let characters = 0;
    for (const member of members) {
      const confidence = byItem.get(member);
      if (confidence === undefined) continue;
      weighted += confidence * member.text.length;
      characters += member.text.length;
    }
    return characters > 0 ? Math.round((weighted / characters) * 1000) / 1000 : null;
  };
}
