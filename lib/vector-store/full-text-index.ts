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
