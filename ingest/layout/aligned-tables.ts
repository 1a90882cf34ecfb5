import { type BoundingBox, unionBoxes } from "../../lib/domain/geometry";
import type { TextItem } from "../types";
import {
  centerY,
  type FoundTable,
  finishTable,
  type GridRow,
  isNumericCell,
  verticalOverlapShare,
} from "./table-grid";

/**
 * Tables without ruling lines, from the alignment of text alone: page-wide rows of items →
 * fragments (a row split at gaps wider than a word space) → runs of rows with several short
 * fragments → columns (x ranges no fragment crosses) → a table when ≥ 3 columns over ≥ 3 rows
 * line up. Rows are geometric, never the drawing order, so the cells of two rows cannot
 * interleave.
 */
export function findAlignedTables(
  items: readonly TextItem[],
  page: { width: number; height: number },
  excluded: ReadonlySet<number> = new Set(),
): FoundTable[] {
  const rows = buildRows(items, excluded);
  const tables: FoundTable[] = [];
  let start = 0;
  while (start < rows.length) {
    const run = collectRun(rows, start, page);
    if (run.length === 0) {
      start++;
      continue;
    }
    for (const part of splitAtStructureChanges(rows, run)) {
      const tableRows = withHeaderRows(rows, part[0] ?? start, part)
        .map((index) => rows[index])
        .filter((row): row is Row => row !== undefined);
      const table = buildTable(items, tableRows);
      if (table) tables.push(table);
    }
    start = (run.at(-1) ?? start) + 1;
  }
  return tables;
}

/**
 * How many of the page's rows look like table rows: three or more short cells, or two with a
 * number among them (a cheap hint that a table may be there; two columns of prose give
 * neither).
 */
export function countTableLikeRows(items: readonly TextItem[]): number {
  return buildRows(items, new Set()).filter(
    (row) =>
      isCandidate(row) &&
      (cellsOf(row).length >= 3 || cellsOf(row).some((fragment) => isNumberLike(fragment.text))),
  ).length;
}

const tuning = {
  /** A gap wider than this (em) between two items of a row separates two cells. */
  cellGapEm: 0.9,
  /** A lone currency sign joins the amount this far (em) to its right. */
  currencyGapEm: 8,
  /** …or narrower, down to this, between two numbers. */
  numberGapEm: 0.4,
  /** A fragment with more words or characters than this is running text, not a cell. */
  proseWords: 9,
  proseCharacters: 55,
  /** Rows of a table are at most this many line heights apart (top to top). */
  rowPitchLines: 2.6,
  /** A row gap this many times the run's usual pitch ends the run. */
  pitchJump: 1.6,
  /** Cells of a column line up (left, right or centre) within this many em. */
  alignEm: 0.6,
  /** More cells of 3+ words than this share starting in lowercase: columns of prose. */
  lowercaseStartShareMax: 0.35,
  /** A table's cells hold at most this many words on average (more is columns of prose). */
  meanCellWordsMax: 5,
} as const;

interface Fragment {
  indexes: number[];
  x0: number;
  x1: number;
  text: string;
  isProse: boolean;
  words: number;
}

interface Row {
  indexes: number[];
  top: number;
  bottom: number;
  fontSize: number;
  fragments: Fragment[];
}

function buildRows(items: readonly TextItem[], excluded: ReadonlySet<number>): Row[] {
  const order = items
    .map((_, index) => index)
    .filter((index) => !excluded.has(index))
    .sort((a, b) => centerY(boxOf(items, a)) - centerY(boxOf(items, b)));
  const rows: (Row & { band: BoundingBox })[] = [];
  for (const index of order) {
    const item = items[index];
    if (!item) continue;
    // Only the last few rows can still overlap an item further down the page.
    let joined = false;
    for (let back = rows.length - 1; back >= Math.max(0, rows.length - 4); back--) {
      const row = rows[back];
      if (!row) continue;
      const heightRatio =
        Math.max(row.band[3] - row.band[1], item.box[3] - item.box[1]) /
        Math.max(Math.min(row.band[3] - row.band[1], item.box[3] - item.box[1]), 0.1);
      if (verticalOverlapShare(row.band, item.box) >= 0.5 && heightRatio <= 3) {
        row.indexes.push(index);
        row.top = Math.min(row.top, item.box[1]);
        row.bottom = Math.max(row.bottom, item.box[3]);
        if (item.fontSize > row.fontSize) {
          row.band = item.box;
          row.fontSize = item.fontSize;
        }
        joined = true;
        break;
      }
    }
    if (!joined) {
      rows.push({
        indexes: [index],
        top: item.box[1],
        bottom: item.box[3],
        fontSize: item.fontSize,
        fragments: [],
        band: item.box,
      });
    }
  }
  for (const row of rows) row.fragments = splitRow(items, row.indexes);
  return rows.sort((a, b) => a.top - b.top);
}

function splitRow(items: readonly TextItem[], indexes: readonly number[]): Fragment[] {
  const sorted = [...indexes].sort((a, b) => boxOf(items, a)[0] - boxOf(items, b)[0]);
  const groups: number[][] = [];
  for (const index of sorted) {
    const item = items[index];
    const group = groups.at(-1);
    const previous = items[group?.at(-1) ?? -1];
    if (!item) continue;
    if (group && previous) {
      const gap = item.box[0] - previous.box[2];
      const em = Math.max(item.fontSize, previous.fontSize, 1);
      const bothNumbers = isNumberLike(item.text) && isNumericCell(previous.text);
      const isDuplicate = previous.text === item.text && Math.abs(previous.box[0] - item.box[0]) < 0.2 * em;
      if (isDuplicate) continue;
      // "$   1,234": a currency sign set apart from its amount belongs to it.
      const afterCurrency =
        group.length === 1 && isCurrency(previous.text) && gap <= tuning.currencyGapEm * em;
      if (
        afterCurrency ||
        (gap <= tuning.cellGapEm * em && !(bothNumbers && gap > tuning.numberGapEm * em))
      ) {
        group.push(index);
        continue;
      }
    }
    groups.push([index]);
  }
  return groups.map((group) => {
    const text = group
      .map((index) => items[index]?.text ?? "")
      .join(" ")
      .replace(/\s+/g, " ")
      .trim();
    const words = text.split(" ").filter(Boolean).length;
    return {
      indexes: group,
      x0: Math.min(...group.map((index) => boxOf(items, index)[0])),
      x1: Math.max(...group.map((index) => boxOf(items, index)[2])),
      text,
      words,
      isProse: words > tuning.proseWords || text.length > tuning.proseCharacters,
    };
  });
}

const isCurrency = (text: string) => /^[$€£¥]$/.test(text.trim());
const isNumberLike = (text: string) => isNumericCell(text) || isCurrency(text);

const cellsOf = (row: Row) => row.fragments.filter((fragment) => !fragment.isProse);
const isCandidate = (row: Row) =>
  cellsOf(row).length >= 2 && !row.fragments.some((fragment) => fragment.isProse);

/**
 * Indexes of consecutive candidate rows from `start` (a single-fragment row between two
 * candidates is kept: a wrapped cell or a section label), or [] when `start` starts none.
 */
function collectRun(rows: readonly Row[], start: number, page: { width: number }): number[] {
  const first = rows[start];
  if (!first || !isCandidate(first)) return [];
  const run = [start];
  let pending: number[] = [];
  const pitches: number[] = [];
  for (let index = start + 1; index < rows.length; index++) {
    const row = rows[index];
    const previous = rows[(pending.at(-1) ?? run.at(-1)) as number];
    if (!row || !previous) break;
    const lineHeight = Math.max(previous.bottom - previous.top, row.bottom - row.top, 1);
    const pitch = row.top - previous.top;
    if (pitch > tuning.rowPitchLines * lineHeight) break;
    // A clearly wider gap than between the rows so far: the next table (its header comes back
    // through `withHeaderRows`).
    if (pitches.length >= 2 && pitch > tuning.pitchJump * median(pitches)) break;
    pitches.push(pitch);
    if (isCandidate(row)) {
      run.push(...pending, index);
      pending = [];
    } else if (
      pending.length < 2 &&
      row.fragments.length === 1 &&
      !row.fragments[0]?.isProse &&
      (row.fragments[0]?.x1 ?? 0) - (row.fragments[0]?.x0 ?? 0) < 0.5 * page.width
    ) {
      pending.push(index);
    } else {
      break;
    }
  }
  return run;
}

/**
 * A run cut where its column structure changes: a row with a cell across a gutter of the rows
 * so far, or with two cells where they have one. Rows before a change that are too few for a
 * table are dropped (they may come back as header rows).
 */
function splitAtStructureChanges(rows: readonly Row[], run: readonly number[]): number[][] {
  const parts: number[][] = [];
  let current: number[] = [];
  let ranges: { x0: number; x1: number }[] = [];
  for (const index of run) {
    const row = rows[index];
    if (!row) continue;
    if (isCandidate(row) && current.length > 0 && conflicts(ranges, cellsOf(row))) {
      if (current.length >= 3) parts.push(current);
      current = [];
      ranges = [];
    }
    current.push(index);
    if (isCandidate(row)) ranges = mergeRanges([...ranges, ...cellsOf(row)]);
  }
  if (current.length >= 3) parts.push(current);
  return parts;
}

function conflicts(ranges: readonly { x0: number; x1: number }[], fragments: readonly Fragment[]): boolean {
  const overlaps = (range: { x0: number; x1: number }, fragment: Fragment) =>
    Math.min(range.x1, fragment.x1) - Math.max(range.x0, fragment.x0) > 1;
  const crossesGutter = fragments.some(
    (fragment) => ranges.filter((range) => overlaps(range, fragment)).length >= 2,
  );
  const splitsColumn = ranges.some(
    (range) => fragments.filter((fragment) => overlaps(range, fragment)).length >= 2,
  );
  return crossesGutter || splitsColumn;
}

function mergeRanges(ranges: readonly { x0: number; x1: number }[]): { x0: number; x1: number }[] {
  const merged: { x0: number; x1: number }[] = [];
  for (const range of [...ranges].sort((a, b) => a.x0 - b.x0)) {
    const last = merged.at(-1);
    if (last && range.x0 < last.x1) last.x1 = Math.max(last.x1, range.x1);
    else merged.push({ x0: range.x0, x1: range.x1 });
  }
  return merged;
}

/** Up to three rows right above the run that have two or more cells inside its extent: header lines. */
function withHeaderRows(rows: readonly Row[], start: number, run: readonly number[]): number[] {
  const runRows = run.map((index) => rows[index]).filter((row): row is Row => row !== undefined);
  const left = Math.min(...runRows.flatMap((row) => cellsOf(row).map((fragment) => fragment.x0)));
  const right = Math.max(...runRows.flatMap((row) => cellsOf(row).map((fragment) => fragment.x1)));
  const header: number[] = [];
  let below = rows[start];
  for (let index = start - 1; index >= 0 && header.length < 3; index--) {
    const row = rows[index];
    if (!row || !below) break;
    const lineHeight = Math.max(row.bottom - row.top, 1);
    if (below.top - row.top > tuning.rowPitchLines * lineHeight) break;
    const inside = row.fragments.every((fragment) => fragment.x0 >= left - 2 && fragment.x1 <= right + 2);
    if (!inside || row.fragments.length < 2 || row.fragments.some((fragment) => fragment.isProse)) break;
    if (/^(table|tab\.)\s*[\dIVXL]/i.test(row.fragments[0]?.text ?? "")) break;
    header.unshift(index);
    below = row;
  }
  return [...header, ...run];
}

function buildTable(items: readonly TextItem[], rows: readonly Row[]): FoundTable | null {
  if (rows.length < 3) return null;
  const columns = findColumns(rows);
  if (columns.length < 3) return null;

  const columnByFragment = new Map<Fragment, number>();
  for (const row of rows)
    for (const fragment of row.fragments) columnByFragment.set(fragment, columnOf(columns, fragment));
  const gridRows: GridRow[] = rows.map((row) => {
    const cells: number[][] = columns.map(() => []);
    for (const fragment of row.fragments)
      cells[columnByFragment.get(fragment) ?? 0]?.push(...fragment.indexes);
    return { cells, top: row.top, bottom: row.bottom };
  });
  const filledRows = gridRows.filter((row) => row.cells.filter((cell) => cell.length > 0).length >= 2);
  if (filledRows.length < 3) return null;
  if (!isAligned(rows, columns.length, columnByFragment)) return null;

  const fragments = rows.flatMap((row) => row.fragments);
  const meanWords = fragments.reduce((sum, fragment) => sum + fragment.words, 0) / fragments.length;
  if (meanWords > tuning.meanCellWordsMax) return null;
  // Columns of running text: most of their lines go on with the sentence of the line above.
  const cased = fragments.filter((fragment) => fragment.words >= 3 && /^[\p{Lu}\p{Ll}]/u.test(fragment.text));
  const lowercase = cased.filter((fragment) => /^\p{Ll}/u.test(fragment.text)).length;
  if (cased.length >= 6 && lowercase > tuning.lowercaseStartShareMax * cased.length) return null;

  const itemIndexes = rows.flatMap((row) => row.fragments.flatMap((fragment) => fragment.indexes));
  const { rows: cellRows, headerRowCount } = finishTable(items, gridRows, {
    mergeContinuations: true,
    mergeHeaderRows: true,
  });
  return {
    rows: cellRows,
    headerRowCount,
    box: unionBoxes(itemIndexes.map((index) => boxOf(items, index))) ?? [0, 0, 0, 0],
    itemIndexes,
    method: "alignment",
  };
}

/**
 * Column x ranges: the union of overlapping fragment ranges of the rows with the most cells
 * (rows with fewer cells often hold spanning header or label cells that would merge columns).
 */
function findColumns(rows: readonly Row[]): { x0: number; x1: number }[] {
  const counts = rows.map((row) => row.fragments.length).sort((a, b) => a - b);
  const typical = counts[Math.floor(counts.length / 2)] ?? 0;
  return mergeRanges(rows.filter((row) => row.fragments.length >= typical).flatMap((row) => row.fragments));
}

/** The column a fragment belongs to: the one it overlaps most, the first on a tie (spanning cells). */
function columnOf(columns: readonly { x0: number; x1: number }[], fragment: Fragment): number {
  let best = 0;
  let bestOverlap = Number.NEGATIVE_INFINITY;
  columns.forEach((column, index) => {
    const overlap = Math.min(column.x1, fragment.x1) - Math.max(column.x0, fragment.x0);
    const distance = overlap > 0 ? overlap : -Math.abs(column.x0 - fragment.x0);
    if (distance > bestOverlap + 0.5) {
      best = index;
      bestOverlap = distance;
    }
  });
  return best;
}

/** Most columns have most of their cells sharing a left edge, a right edge or a centre. */
function isAligned(
  rows: readonly Row[],
  columnCount: number,
  columnByFragment: ReadonlyMap<Fragment, number>,
): boolean {
  const em = Math.max(1, median(rows.map((row) => row.fontSize)));
  const tolerance = tuning.alignEm * em;
  const byColumn: Fragment[][] = Array.from({ length: columnCount }, () => []);
  for (const row of rows)
    for (const fragment of row.fragments) byColumn[columnByFragment.get(fragment) ?? 0]?.push(fragment);
  let alignedColumns = 0;
  for (const fragments of byColumn) {
    if (fragments.length < 2) continue;
    const share = (edge: (fragment: Fragment) => number) => {
      const values = fragments.map(edge);
      const middle = median(values);
      return values.filter((value) => Math.abs(value - middle) <= tolerance).length / values.length;
    };
    const best = Math.max(
      share((fragment) => fragment.x0),
      share((fragment) => fragment.x1),
      share((fragment) => (fragment.x0 + fragment.x1) / 2),
    );
    if (best >= 0.6) alignedColumns++;
  }
  return alignedColumns >= Math.max(2, Math.ceil((2 * columnCount) / 3));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

function boxOf(items: readonly TextItem[], index: number): BoundingBox {
  return items[index]?.box ?? [0, 0, 0, 0];
}
