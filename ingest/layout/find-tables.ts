import type { TextItem } from "../types";
import { findAlignedTables } from "./aligned-tables";
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
