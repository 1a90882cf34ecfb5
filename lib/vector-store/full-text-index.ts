import * as lancedb from "@lancedb/lancedb";
import {
  type FullTextSettings,
  fullTextIndexName,
  fullTextIndexOptions,
  searchTextColumn,
  searchTextSql,
} from "./full-text-settings";

export type FullTextIndexChange = "unchanged" | "created" | "rebuilt";

/**
 * Gives the table the `search_text` column and the one full-text index `settings` describe:
 * computes the column for rows written before it existed, drops full-text indexes built another
 * way (older Folio, another FTS_LANGUAGE) and builds the right one over every row. Safe to run
 * from several processes at once: a step another process already took is not an error.
 */
export async function ensureFullTextIndex(
  table: lancedb.Table,
  settings: FullTextSettings,
): Promise<FullTextIndexChange> {
  const columns = new Set((await table.schema()).fields.map((field) => field.name));
  if (!columns.has(searchTextColumn)) {
    await tolerate(() => table.addColumns([{ name: searchTextColumn, valueSql: searchTextSql }]));
  }
  const expectedName = fullTextIndexName(settings);
  const indices = await table.listIndices();
  const fullText = indices.filter((index) => index.indexType.toUpperCase().includes("FTS"));
  if (fullText.some((index) => index.name === expectedName)) return "unchanged";
  for (const stale of fullText) await tolerate(() => table.dropIndex(stale.name));
  await table.createIndex(searchTextColumn, {
    config: lancedb.Index.fts(fullTextIndexOptions(settings)),
    name: expectedName,
    replace: true,
  });
  return fullText.length > 0 ? "rebuilt" : "created";
}

/** A schema or index change another process made first fails here; the caller's next check sees it done. */
async function tolerate(step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (!(error instanceof Error) || !/exist|not found|conflict|retryable/i.test(error.message)) throw error;
  }
}

/**
 * LanceDB 0.31 scores rows its full-text index does not cover yet with the index's own statistics:
 * while they outnumber the indexed rows (a new table, a first large upload) a word most of them
 * share is not found in them at all, however often they repeat it. So a write that leaves the
 * index covering less than half of the table rebuilds it over every row — amortised, since the
 * table must double between two rebuilds — and the scheduled optimize adds the rest as before.
 */
export async function keepFullTextIndexCurrent(
  table: lancedb.Table,
  settings: FullTextSettings,
): Promise<boolean> {
  const name = fullTextIndexName(settings);
  const stats = await table.indexStats(name);
  if (!stats || stats.numUnindexedRows <= stats.numIndexedRows) return false;
  await table.createIndex(searchTextColumn, {
    config: lancedb.Index.fts(fullTextIndexOptions(settings)),
    name,
    replace: true,
  });
  return true;
}
