import type { BeirDataset, BeirDocument } from "../../lib/evaluation/beir-dataset";
import { type RankingScores, scoreRanking } from "../../lib/evaluation/metrics";
import type { Reranker } from "../../lib/retrieval/reranker";
import { retrieveDocuments } from "../../lib/retrieval/retrieve-documents";
import type { Folio } from "../../lib/runtime";
import { createProgressBar } from "../../lib/terminal/progress-bar";
import type { SearchMode } from "../../lib/vector-store/vector-store";
import { type EvalFile, type IngestedFiles, ingestFiles } from "./ingest-files";
import { type Ranking, rankWithBm25, rankWithRawLanceDb } from "./reference-rankings";

export interface BeirRow extends RankingScores {
  /** `Folio text`, `Folio hybrid + rerank`, `BM25 (wink, whole documents)`… */
  system: string;
  /** Folio's search mode, or null for a reference. */
  mode: SearchMode | null;
  isReference: boolean;
  /** Mean wall-clock per query (retrieval only). */
  msPerQuery: number;
}

export interface BeirEvaluation {
  dataset: string;
  documentCount: number;
  queryCount: number;
  ingest: Omit<IngestedFiles, "keysByDocumentId" | "collectionIds">;
  rows: BeirRow[];
}

/** Documents ranked per query: recall@100 needs 100. */
const documentDepth = 100;

/**
 * Evaluates Folio's retrieval on a BEIR data set, end to end: every corpus document becomes a
 * Markdown file (its title as the heading, then its text) ingested through Folio's pipeline; each
 * query runs through Folio's retrieval in each mode, its passages fused into documents
 * (retrieveDocuments); nDCG@10, recall@100 and MRR@10 come from the qrels. Two references are
 * scored in the same run on the same tokens: plain BM25 over whole documents, and LanceDB's own
 * full-text search over whole documents (no chunking).
 */
export async function runBeirEvaluation(
  folio: Folio,
  dataset: BeirDataset,
  options: { modes: readonly SearchMode[]; reranker?: Reranker | null },
): Promise<BeirEvaluation> {
  const fileNames = new Set<string>();
  const files: EvalFile[] = dataset.documents.map((document) => {
    let fileName = fileNameOf(document.id);
    for (let copy = 2; fileNames.has(fileName); copy += 1) fileName = fileNameOf(`${document.id}-${copy}`);
    fileNames.add(fileName);
    return { key: document.id, fileName, read: async () => new TextEncoder().encode(markdownOf(document)) };
  });
  const ingested = await ingestFiles(folio, {
    files,
    collectionNameOf: () => `eval ${dataset.name} ${new Date().toISOString()}`,
    title: `Ingesting ${dataset.name}`,
  });
  const collectionIds = [...ingested.collectionIds.values()];
  const { embedder, store } = await folio.embeddingParts();
  const dependencies = {
    db: folio.database.db,
    store,
    embedder,
    rerankCandidates: folio.config.rerank.candidates,
  };
  const rows: BeirRow[] = [];
  const variants = [
    ...options.modes.map((mode) => ({ mode, reranker: null })),
    ...(options.reranker ? options.modes.map((mode) => ({ mode, reranker: options.reranker ?? null })) : []),
  ];
  for (const { mode, reranker } of variants) {
    const system = `Folio ${mode}${reranker ? " + rerank" : ""}`;
    const bar = createProgressBar({ total: dataset.queries.length, title: `Searching (${system})` });
    const ranking: Ranking = new Map();
    const startedAt = performance.now();
    for (const [index, query] of dataset.queries.entries()) {
      const documents = await retrieveDocuments(
        { ...dependencies, reranker },
        { question: query.text, collectionIds, documentLimit: documentDepth, mode },
      );
      ranking.set(
        query.id,
        documents.flatMap((document) => ingested.keysByDocumentId.get(document.documentId) ?? []),
      );
      bar.update(index + 1);
    }
    bar.finish();
    rows.push(row(system, mode, false, ranking, dataset, startedAt));
  }
  const settings = folio.config.lance.fullText;
  let startedAt = performance.now();
  const bm25 = rankWithBm25(dataset.documents, dataset.queries, settings);
  rows.push(row("BM25 (wink-bm25-text-search, whole documents)", null, true, bm25, dataset, startedAt));
  startedAt = performance.now();
  const raw = await rankWithRawLanceDb(dataset.documents, dataset.queries, settings);
  rows.push(row("LanceDB full-text, whole documents (no chunking)", null, true, raw, dataset, startedAt));
  const { keysByDocumentId: _keys, collectionIds: _ids, ...ingest } = ingested;
  return {
    dataset: dataset.name,
    documentCount: dataset.documents.length,
    queryCount: dataset.queries.length,
    ingest,
    rows,
  };
}

function row(
  system: string,
  mode: SearchMode | null,
  isReference: boolean,
  ranking: Ranking,
  dataset: BeirDataset,
  startedAt: number,
): BeirRow {
  return {
    system,
    mode,
    isReference,
    ...scoreRanking(ranking, dataset.qrels),
    msPerQuery: (performance.now() - startedAt) / Math.max(1, dataset.queries.length),
  };
}

/** A BEIR document as a Markdown file: its title as the heading, its text as the body. */
export function markdownOf(document: BeirDocument): string {
  const title = document.title.replace(/\s+/g, " ").trim();
  return title ? `# ${title}\n\n${document.text}\n` : `${document.text}\n`;
}

/** A file name per document id, safe on any file system (the id stays readable). */
function fileNameOf(documentId: string): string {
  return `${documentId.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 100)}.md`;
}
