import { writeBenchReport } from "../bench/bench-report";
import { printTable } from "../bench/table";
import type { BeirEvaluation } from "./beir-eval";
import type { FinanceBenchEvaluation } from "./financebench-eval";

/** BEIR's published BM25 nDCG@10 on SciFact (Thakur et al. 2021), the goal for full-text mode. */
const beirBm25SciFact = 0.665;
/** Chunking may cost full-text search at most this much nDCG@10 against whole documents. */
const allowedLossToWholeDocuments = 0.02;

const figure = (value: number) => value.toFixed(3);
const rounded = (value: number, digits: number) => Number(value.toFixed(digits));

/** The mode × metric table with the references, the goals, and the results file for docs/BENCHMARKS.md. */
export async function reportBeirEvaluation(
  evaluation: BeirEvaluation,
  context: { command: string; embedderDescription: string; resultsName: string },
): Promise<void> {
  const columns = ["system", "nDCG@10", "recall@100", "MRR@10", "ms/query"];
  const rows = evaluation.rows.map((row) => [
    row.system,
    rounded(row.ndcgAt10, 3),
    rounded(row.recallAt100, 3),
    rounded(row.mrrAt10, 3),
    rounded(row.msPerQuery, 1),
  ]);
  printTable(
    `BEIR ${evaluation.dataset}: ${evaluation.documentCount} documents (${evaluation.ingest.chunks} chunks, ` +
      `ingested in ${evaluation.ingest.seconds.toFixed(0)} s, ${evaluation.ingest.failures.length} failed), ` +
      `${evaluation.queryCount} queries`,
    columns,
    rows,
  );
  for (const failure of evaluation.ingest.failures.slice(0, 10))
    console.log(`  ✗ ${failure.key}: ${failure.reason}`);
  const goals = beirGoals(evaluation);
  for (const goal of goals) console.log(`${goal.met ? "✓" : "✗"} ${goal.goal}: ${goal.measured}`);
  await writeBenchReport({
    name: context.resultsName,
    title: `Retrieval quality: BEIR ${evaluation.dataset}`,
    command: context.command,
    reference:
      "plain BM25 (wink-bm25-text-search, k1 1.2, b 0.75) and LanceDB full-text search, both over whole " +
      "documents (title + text, no chunking) on the tokens of Folio's full-text index, in the same run",
    columns,
    rows,
    goals,
    charts: [
      {
        title: `nDCG@10 on ${evaluation.dataset} (${evaluation.queryCount} queries)`,
        unit: "nDCG@10",
        bars: evaluation.rows.map((row) => ({
          label: row.system,
          value: row.ndcgAt10,
          reference: row.isReference,
        })),
      },
    ],
    notes: [
      `Embedder: ${context.embedderDescription}.`,
      `${evaluation.documentCount} documents became ${evaluation.ingest.chunks} chunks; each document ranks where its best chunk ranks.`,
    ],
  });
}

function beirGoals(evaluation: BeirEvaluation): { goal: string; measured: string; met: boolean }[] {
  const text = evaluation.rows.find((row) => row.mode === "text" && !row.system.includes("rerank"));
  const raw = evaluation.rows.find((row) => row.system.startsWith("LanceDB"));
  if (!text || !raw) return [];
  const goals = [
    {
      goal: `full-text mode within ${allowedLossToWholeDocuments} nDCG@10 of LanceDB full-text over whole documents`,
      measured: `${figure(text.ndcgAt10)} vs ${figure(raw.ndcgAt10)}`,
      met: text.ndcgAt10 >= raw.ndcgAt10 - allowedLossToWholeDocuments,
    },
  ];
  if (evaluation.dataset.toLowerCase() === "scifact") {
    goals.unshift({
      goal: `full-text mode nDCG@10 ≥ ${beirBm25SciFact} (BEIR's BM25 on SciFact)`,
      measured: figure(text.ndcgAt10),
      met: text.ndcgAt10 >= beirBm25SciFact,
    });
  }
  return goals;
}

export async function reportFinanceBenchEvaluation(
  evaluation: FinanceBenchEvaluation,
  context: { command: string; embedderDescription: string },
): Promise<void> {
  const columns = ["search", "mode", "evidence page recall@5", "recall@20", "ms/question"];
  const rows = evaluation.rows.map((row) => [
    row.scope,
    row.mode,
    rounded(row.recallAt5, 3),
    rounded(row.recallAt20, 3),
    rounded(row.msPerQuestion, 1),
  ]);
  printTable(
    `FinanceBench: ${evaluation.questionCount} questions over ${evaluation.documentCount} filings ` +
      `(${evaluation.ingest.pages} pages, ${evaluation.ingest.chunks} chunks, ingested in ` +
      `${evaluation.ingest.seconds.toFixed(0)} s, ${evaluation.ingest.failures.length} failed)`,
    columns,
    rows,
  );
  for (const failure of evaluation.ingest.failures) console.log(`  ✗ ${failure.key}: ${failure.reason}`);
  await writeBenchReport({
    name: "financebench",
    title: "Evidence retrieval on real filings: FinanceBench",
    command: context.command,
    reference: "none: share of questions whose evidence page is among the pages of the top-k passages",
    columns,
    rows,
    charts: [
      {
        title: `Evidence-page recall@20 on FinanceBench (${evaluation.questionCount} questions)`,
        unit: "recall@20",
        bars: evaluation.rows.map((row) => ({ label: `${row.scope}, ${row.mode}`, value: row.recallAt20 })),
      },
    ],
    notes: [
      `Embedder: ${context.embedderDescription}.`,
      "A question counts when a top-k passage comes from its evidence document and lies on its evidence page " +
        "(FinanceBench's 0-based page + 1). `all filings`: one search over every filing; `its filing`: the search " +
        "restricted to the evidence document's own collection.",
    ],
  });
}
