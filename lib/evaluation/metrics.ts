/**
 * Ranking metrics as BEIR reports them (pytrec_eval, i.e. trec_eval's definitions), from graded
 * relevance judgments ("qrels"): a document's grade is its gain; a grade of 0 or less, or no
 * judgment, is not relevant.
 */

/** One query's judgments: document id → relevance grade. */
export type Judgments = ReadonlyMap<string, number>;

/** The retrieval figures of one run, averaged over the queries that have a relevant document. */
export interface RankingScores {
  ndcgAt10: number;
  recallAt100: number;
  mrrAt10: number;
  /** Queries averaged over. */
  queryCount: number;
}

/**
 * Normalised discounted cumulative gain at `k`: Σ grade / log2(rank + 1) over the first `k`
 * documents, divided by the same sum for the best possible ranking of the judged documents.
 * A document listed twice counts at its first rank only.
 */
export function ndcgAtK(ranked: readonly string[], judgments: Judgments, k: number): number {
  const ideal = [...judgments.values()]
    .filter((grade) => grade > 0)
    .sort((a, b) => b - a)
    .slice(0, k);
  const idealGain = ideal.reduce((sum, grade, index) => sum + grade / Math.log2(index + 2), 0);
  if (idealGain === 0) return 0;
  const gain = firstK(ranked, k).reduce(
    (sum, documentId, index) => sum + Math.max(0, judgments.get(documentId) ?? 0) / Math.log2(index + 2),
    0,
  );
  return gain / idealGain;
}

/** Share of the relevant documents found among the first `k`. */
export function recallAtK(ranked: readonly string[], judgments: Judgments, k: number): number {
  const relevant = [...judgments].filter(([, grade]) => grade > 0).length;
  if (relevant === 0) return 0;
  return firstK(ranked, k).filter((documentId) => (judgments.get(documentId) ?? 0) > 0).length / relevant;
}

/** 1 / rank of the first relevant document among the first `k`; 0 when none is. */
export function reciprocalRankAtK(ranked: readonly string[], judgments: Judgments, k: number): number {
  const index = firstK(ranked, k).findIndex((documentId) => (judgments.get(documentId) ?? 0) > 0);
  return index < 0 ? 0 : 1 / (index + 1);
}

/**
 * nDCG@10, recall@100 and MRR@10 of a run (query id → ranked document ids, best first), averaged
 * over the queries with at least one relevant judgment (as BEIR does); a judged query the run did
 * not answer scores 0.
 */
export function scoreRanking(
  run: ReadonlyMap<string, readonly string[]>,
  qrels: ReadonlyMap<string, Judgments>,
): RankingScores {
  const judged = [...qrels].filter(([, judgments]) => [...judgments.values()].some((grade) => grade > 0));
  if (judged.length === 0) return { ndcgAt10: 0, recallAt100: 0, mrrAt10: 0, queryCount: 0 };
  const mean = (metric: (ranked: readonly string[], judgments: Judgments) => number) =>
    judged.reduce((sum, [queryId, judgments]) => sum + metric(run.get(queryId) ?? [], judgments), 0) /
    judged.length;
  return {
    ndcgAt10: mean((ranked, judgments) => ndcgAtK(ranked, judgments, 10)),
    recallAt100: mean((ranked, judgments) => recallAtK(ranked, judgments, 100)),
    mrrAt10: mean((ranked, judgments) => reciprocalRankAtK(ranked, judgments, 10)),
    queryCount: judged.length,
  };
}

/** The first `k` distinct ids, in order. */
function firstK(ranked: readonly string[], k: number): string[] {
  return [...new Set(ranked)].slice(0, k);
}
