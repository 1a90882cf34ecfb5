import type { BoundingBox } from "../../lib/domain/geometry";
import { joinLineTexts } from "../stages/segment-blocks";
import type { TextItem } from "../types";

/** A table found on a page, before its caption is attached. */
export interface FoundTable {
  /** Cell texts, row by row, every row as long as the widest; empty cells are "". */
  rows: string[][];
  /** The first `headerRowCount` rows are the header (0: no header row was recognised). */
  headerRowCount: number;
  box: BoundingBox;
  /** Indexes (into the page's items) of the items inside the table. */
  itemIndexes: number[];
  /** How it was found: ruling lines, or the alignment of text alone. */
  method: "rulings" | "alignment";
}

/** One physical row of a table: per column, the indexes of the items in that cell. */
export interface GridRow {
  cells: number[][];
  top: number;
  bottom: number;
}

/** "1,234", "(5.6)", "-12 %", "$3", "—": what a numeric column holds. */
export function isNumericCell(text: string): boolean {
  const compact = text.replace(/\s+/g, "");
  return /^[(\-−–+]?[$€£¥]?\d[\d.,'’]*%?\)?[*†‡a-z]?$/i.test(compact) || /^[-−–—]$/.test(compact);
}

/** The text of one cell: its items grouped into lines top to bottom, left to right in a line. */
export function cellText(items: readonly TextItem[], indexes: readonly number[]): string {
  const members = indexes
    .map((index) => items[index])
    .filter((item): item is TextItem => item !== undefined)
    .sort((a, b) => centerY(a.box) - centerY(b.box) || a.box[0] - b.box[0]);
  const lines: TextItem[][] = [];
  for (const item of members) {
    const line = lines.at(-1);
    const last = line?.at(-1);
    if (line && last && verticalOverlapShare(last.box, item.box) >= 0.5) line.push(item);
    else lines.push([item]);
  }
  return joinLineTexts(
    lines.map((line) => {
      const sorted = [...line].sort((a, b) => a.box[0] - b.box[0]);
      let text = "";
      sorted.forEach((item, index) => {
        const previous = sorted[index - 1];
        if (previous && item.box[0] - previous.box[2] > 0.15 * Math.min(item.fontSize, previous.fontSize)) {
          text += " ";
        }
        text += item.text;
      });
      return text.replace(/\s+/g, " ").trim();
    }),
  );
}

/**
 * Physical rows → table rows: leading rows without a number above a body with numbers are the
 * header (with `mergeHeaderRows`, one row merged per column: the lines of multi-line header
 * cells, which alignment cannot tell from header rows); with `mergeContinuations`, a tightly spaced row that
 * only continues the texts of the row above (no numbers, fewer cells, all under filled ones)
 * joins it.
 */
export function finishTable(
  items: readonly TextItem[],
  physicalRows: readonly GridRow[],
  options: { mergeContinuations: boolean; mergeHeaderRows: boolean },
): { rows: string[][]; headerRowCount: number } {
  const texts = physicalRows.map((row) => row.cells.map((cell) => cellText(items, cell)));
  // Years ("2021", "FY2022") head columns more often than they fill them.
  const hasNumber = texts.map((row) =>
    row.some((cell) => cell !== "" && isNumericCell(cell) && !/^(fy)?\s?(19|20)\d\d$/i.test(cell.trim())),
  );
  const firstNumeric = hasNumber.indexOf(true);

  let headerEnd: number; // physical rows [0, headerEnd) form the header
  if (firstNumeric === 0) headerEnd = 0;
  else if (firstNumeric > 0 && firstNumeric <= 4) headerEnd = firstNumeric;
  else headerEnd = texts.length > 1 ? 1 : 0;

  const columns = options.mergeContinuations ? columnRights(items, physicalRows) : [];
  const groups: number[][] = [];
  if (options.mergeHeaderRows && headerEnd > 0)
    groups.push(Array.from({ length: headerEnd }, (_, index) => index));
  else for (let index = 0; index < headerEnd; index++) groups.push([index]);
  for (let index = headerEnd; index < physicalRows.length; index++) {
    const previousGroup = groups.at(-1);
    const previousIndex = previousGroup?.at(-1);
    if (
      options.mergeContinuations &&
      previousGroup &&
      previousIndex !== undefined &&
      previousIndex >= headerEnd &&
      isContinuation(texts, physicalRows, previousIndex, index, hasNumber, columns, items)
    ) {
      previousGroup.push(index);
    } else {
      groups.push([index]);
    }
  }
  const columnCount = Math.max(0, ...physicalRows.map((row) => row.cells.length));
  const rows = groups.map((group) =>
    Array.from({ length: columnCount }, (_, column) =>
      cellText(
        items,
        group.flatMap((rowIndex) => physicalRows[rowIndex]?.cells[column] ?? []),
      ),
    ),
  );
  return { rows, headerRowCount: options.mergeHeaderRows ? Math.min(headerEnd, 1) : headerEnd };
}

/** Per column, the extent of its text over all rows. */
function columnRights(items: readonly TextItem[], rows: readonly GridRow[]): { x0: number; x1: number }[] {
  const columnCount = Math.max(0, ...rows.map((row) => row.cells.length));
  return Array.from({ length: columnCount }, (_, column) => {
    const boxes = rows
      .flatMap((row) => (row.cells[column] ?? []).map((index) => items[index]?.box))
      .filter((box) => !!box);
    return {
      x0: Math.min(...boxes.map((box) => box[0])),
      x1: Math.max(...boxes.map((box) => box[2])),
    };
  });
}

function isContinuation(
  texts: readonly string[][],
  rows: readonly GridRow[],
  previousIndex: number,
  index: number,
  hasNumber: readonly boolean[],
  columns: readonly { x0: number; x1: number }[],
  items: readonly TextItem[],
): boolean {
  const previous = rows[previousIndex];
  const row = rows[index];
  const previousTexts = texts[previousIndex];
  const rowTexts = texts[index];
  if (!previous || !row || !previousTexts || !rowTexts || hasNumber[index]) return false;
  // Only cells the row above has, and fewer of them: the rest of that row's wrapped texts.
  const filled = rowTexts.filter((cell) => cell !== "").length;
  const previousFilled = previousTexts.filter((cell) => cell !== "").length;
  if (
    filled >= previousFilled ||
    rowTexts.some((cell, column) => cell !== "" && previousTexts[column] === "")
  ) {
    return false;
  }
  // A text wraps only when it reached its column's right side; a short line above is a label.
  const wrapped = rowTexts.every((cell, column) => {
    if (cell === "") return true;
    const extent = columns[column];
    const previousRight = Math.max(...(previous.cells[column] ?? []).map((item) => items[item]?.box[2] ?? 0));
    return !extent || previousRight >= extent.x1 - 0.35 * (extent.x1 - extent.x0);
  });
  if (!wrapped) return false;
  const lineHeight = Math.min(row.bottom - row.top, previous.bottom - previous.top);
  return row.top - previous.bottom < 0.4 * lineHeight;
}

export function centerY(box: BoundingBox): number {
  return (box[1] + box[3]) / 2;
}

export function centerX(box: BoundingBox): number {
  return (box[0] + box[2]) / 2;
}

export function verticalOverlapShare(a: BoundingBox, b: BoundingBox): number {
  const overlap = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  return overlap / Math.max(Math.min(a[3] - a[1], b[3] - b[1]), 0.1);
}
