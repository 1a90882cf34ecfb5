import type { BoundingBox } from "../../lib/domain/geometry";
import type { TextItem } from "../types";
import { centerX, centerY, type FoundTable, finishTable, type GridRow } from "./table-grid";

/**
 * A straight ruling line drawn on the page (a stroked line, or a filled rectangle thinner than
 * ~2 pt), in the page's coordinate space (top-left origin, like TextItem boxes). Horizontal when
 * y0 ≈ y1, vertical when x0 ≈ x1; anything else is ignored.
 */
export interface Segment {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const tolerance = {
  /** A segment at most this thick is a line. */
  thickness: 2,
  /** Lines closer than this meet; coordinates closer than this are one grid line. */
  join: 3,
  /** Shorter lines are glyph parts or decoration. */
  minLength: 6,
} as const;

interface Line {
  /** Position across (y for horizontal, x for vertical) and extent along. */
  at: number;
  from: number;
  to: number;
}

/**
 * Tables drawn as grids: connected horizontal and vertical rulings with at least 3 lines each
 * way (2 × 2 cells; a plain frame is a box, not a table). Items are assigned to cells by their
 * centre; empty rows and columns are dropped.
 */
export function findRuledTables(
  items: readonly TextItem[],
  rulings: readonly Segment[],
  excluded: ReadonlySet<number> = new Set(),
): FoundTable[] {
  const horizontals: Line[] = [];
  const verticals: Line[] = [];
  for (const segment of rulings) {
    const x0 = Math.min(segment.x0, segment.x1);
    const x1 = Math.max(segment.x0, segment.x1);
    const y0 = Math.min(segment.y0, segment.y1);
    const y1 = Math.max(segment.y0, segment.y1);
    if (![x0, x1, y0, y1].every(Number.isFinite)) continue;
    if (y1 - y0 <= tolerance.thickness && x1 - x0 >= tolerance.minLength) {
      horizontals.push({ at: (y0 + y1) / 2, from: x0, to: x1 });
    } else if (x1 - x0 <= tolerance.thickness && y1 - y0 >= tolerance.minLength) {
      verticals.push({ at: (x0 + x1) / 2, from: y0, to: y1 });
    }
  }
  // Producers often draw each cell's border on its own: one line per grid line is enough.
  const mergedHorizontals = mergeCollinear(horizontals);
  const mergedVerticals = mergeCollinear(verticals);
  if (
    mergedHorizontals.length < 3 ||
    mergedVerticals.length < 3 ||
    mergedHorizontals.length * mergedVerticals.length > 1_000_000
  ) {
    return [];
  }

  const tables: FoundTable[] = [];
  const used = new Set<number>(excluded);
  for (const component of connectedGrids(mergedHorizontals, mergedVerticals)) {
    const ys = clusterPositions(component.horizontals.map((line) => line.at));
    const xs = clusterPositions(component.verticals.map((line) => line.at));
    if (ys.length < 3 || xs.length < 3) continue;
    const table = fillGrid(items, xs, ys, used);
    if (!table) continue;
    for (const index of table.itemIndexes) used.add(index);
    tables.push(table);
  }
  return tables;
}

function connectedGrids(
  horizontals: readonly Line[],
  verticals: readonly Line[],
): { horizontals: Line[]; verticals: Line[] }[] {
  const parent = Array.from({ length: horizontals.length + verticals.length }, (_, index) => index);
  const find = (index: number): number => {
    let root = index;
    while (parent[root] !== root) root = parent[root] ?? root;
    parent[index] = root;
    return root;
  };
  horizontals.forEach((horizontal, h) => {
    verticals.forEach((vertical, v) => {
      const meets =
        vertical.at >= horizontal.from - tolerance.join &&
        vertical.at <= horizontal.to + tolerance.join &&
        horizontal.at >= vertical.from - tolerance.join &&
        horizontal.at <= vertical.to + tolerance.join;
      if (meets) parent[find(h)] = find(horizontals.length + v);
    });
  });
  const groups = new Map<number, { horizontals: Line[]; verticals: Line[] }>();
  const groupOf = (index: number) => {
    const root = find(index);
    let group = groups.get(root);
    if (!group) {
      group = { horizontals: [], verticals: [] };
      groups.set(root, group);
    }
    return group;
  };
  horizontals.forEach((line, h) => {
    groupOf(h).horizontals.push(line);
  });
  verticals.forEach((line, v) => {
    groupOf(horizontals.length + v).verticals.push(line);
  });
  return [...groups.values()];
}

/** Lines on the same position that touch or overlap, joined into one. */
function mergeCollinear(lines: readonly Line[]): Line[] {
  const sorted = [...lines].sort((a, b) => a.at - b.at || a.from - b.from);
  const merged: Line[] = [];
  let band: Line[] = [];
  const flush = () => {
    band.sort((a, b) => a.from - b.from);
    let current: Line | null = null;
    for (const line of band) {
      if (current && line.from <= current.to + tolerance.join) current.to = Math.max(current.to, line.to);
      else {
        current = { ...line };
        merged.push(current);
      }
    }
    band = [];
  };
  for (const line of sorted) {
    if (band.length > 0 && line.at - (band[0]?.at ?? line.at) > 1) flush();
    band.push(line);
  }
  flush();
  return merged;
}

function clusterPositions(values: readonly number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const clusters: number[][] = [];
  for (const value of sorted) {
    const last = clusters.at(-1);
    if (last && value - (last.at(-1) ?? value) <= tolerance.join) last.push(value);
    else clusters.push([value]);
  }
  return clusters.map((cluster) => cluster.reduce((sum, value) => sum + value, 0) / cluster.length);
}

function fillGrid(
  items: readonly TextItem[],
  xs: readonly number[],
  ys: readonly number[],
  used: ReadonlySet<number>,
): FoundTable | null {
  const left = xs[0] ?? 0;
  const right = xs.at(-1) ?? 0;
  const top = ys[0] ?? 0;
  const bottom = ys.at(-1) ?? 0;
  const cells: number[][][] = Array.from({ length: ys.length - 1 }, () =>
    Array.from({ length: xs.length - 1 }, () => []),
  );
  const itemIndexes: number[] = [];
  items.forEach((item, index) => {
    if (used.has(index)) return;
    const x = centerX(item.box);
    const y = centerY(item.box);
    if (x < left || x > right || y < top || y > bottom) return;
    const row = ys.findIndex((value, k) => k > 0 && y <= value) - 1;
    const column = xs.findIndex((value, k) => k > 0 && x <= value) - 1;
    cells[row]?.[column]?.push(index);
    itemIndexes.push(index);
  });
  const filledColumns = xs
    .slice(1)
    .map((_, column) => column)
    .filter((column) => cells.some((row) => (row[column]?.length ?? 0) > 0));
  const gridRows: GridRow[] = [];
  cells.forEach((row, rowIndex) => {
    if (!row.some((cell) => cell.length > 0)) return;
    gridRows.push({
      cells: filledColumns.map((column) => row[column] ?? []),
      top: ys[rowIndex] ?? 0,
      bottom: ys[rowIndex + 1] ?? 0,
    });
  });
  if (gridRows.length < 2 || filledColumns.length < 2) return null;
  const { rows, headerRowCount } = finishTable(items, gridRows, {
    mergeContinuations: false,
    mergeHeaderRows: false,
  });
  const box: BoundingBox = [left, top, right, bottom];
  return { rows, headerRowCount, box, itemIndexes, method: "rulings" };
}
