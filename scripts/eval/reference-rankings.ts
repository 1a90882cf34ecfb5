import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import bm25 from "wink-bm25-text-search";
import type { BeirDocument, BeirQuery } from "../../lib/evaluation/beir-dataset";
import { fullTextTokens } from "../../lib/evaluation/full-text-tokens";
import { type FullTextSettings, fullTextIndexOptions } from "../../lib/vector-store/full-text-settings";

/** Query id → document ids, best first. */
export type Ranking = Map<string, string[]>;

/** How deep the references rank: recall@100 needs 100. */
const depth = 100;

/** A whole document as the references read it: its title, then its text. */
function wholeText(document: BeirDocument): string {
  return document.title ? `${document.title}\n${document.text}` : document.text;
}

/**
 * Plain BM25 (k1 1.2, b 0.75: the Lucene/Elasticsearch defaults BEIR's baseline ran with) over
 * whole documents by wink-bm25-text-search, on the tokens Folio's full-text index makes
 * (full-text-tokens.ts): the baseline a search engine would give with no chunking at all.
 */
export function rankWithBm25(
  documents: readonly BeirDocument[],
  queries: readonly BeirQuery[],
  settings: FullTextSettings,
): Ranking {
  const engine = bm25();
  engine.defineConfig({ fldWeights: { body: 1 }, bm25Params: { k1: 1.2, b: 0.75, k: 1 } });
  engine.definePrepTasks([(text) => fullTextTokens(text, settings)]);
  for (const document of documents) engine.addDoc({ body: wholeText(document) }, document.id);
  engine.consolidate(9);
  return new Map(queries.map((query) => [query.id, engine.search(query.text, depth).map(([id]) => id)]));
}

/**
 * LanceDB's own full-text search over whole documents (one row per document, title and text), in
 * a scratch table with the tokenizer options of Folio's index: what chunking, heading paths and
 * fusion are measured against.
 */
export async function rankWithRawLanceDb(
  documents: readonly BeirDocument[],
  queries: readonly BeirQuery[],
  settings: FullTextSettings,
): Promise<Ranking> {
  const directory = await mkdtemp(path.join(tmpdir(), "folio-eval-raw-lance-"));
  const connection = await lancedb.connect(directory);
  try {
    const table = await connection.createTable(
      "documents",
      documents.map((document) => ({ id: document.id, text: wholeText(document) })),
    );
    await table.createIndex("text", { config: lancedb.Index.fts(fullTextIndexOptions(settings)) });
    const ranking: Ranking = new Map();
    for (const query of queries) {
      const rows = await table
        .query()
        .fullTextSearch(query.text)
        .select(["id", "_score"])
        .limit(depth)
        .toArray();
      ranking.set(
        query.id,
        rows.map((row) => String(row.id)),
      );
    }
    table.close();
    return ranking;
  } finally {
    connection.close();
    await rm(directory, { recursive: true, force: true });
  }
}
