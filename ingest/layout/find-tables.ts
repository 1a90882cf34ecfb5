import type { TextItem } from "../types";
import { countTableLikeRows, findAlignedTables } from "./aligned-tables";
import { findRuledTables, type Segment } from "./ruled-tables";
import type { FoundTable } from "./table-grid";

export type { Segment } from "./ruled-tables";
export type { FoundTable } from "./table-grid";

/**
 * A page's tables: grids drawn with ruling lines first (when the caller has the page's
 * rulings), then tables found by the alignment of the remaining text items.
 */
export function findTables(
  items: readonly TextItem[],
  page: { width: number; height: number },
  rulings: readonly Segment[] = [],
): FoundTable[] {
  const ruled = rulings.length > 0 ? findRuledTables(items, rulings) : [];
  const used = new Set(ruled.flatMap((table) => table.itemIndexes));
  return [...ruled, ...findAlignedTables(items, page, used)];
}

/**
 * Whether a page is worth fetching its operator list for (to find ruled tables): three or more
 * rows of three or more separate short cells, or of two with a number. `getOperatorList` costs about as much as
 * `getTextContent`, so pages of running text should skip it.
 */
export function mayHoldTable(items: readonly TextItem[]): boolean {
  return countTableLikeRows(items) >= 3;
}
