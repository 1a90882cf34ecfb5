import { parseArgs } from "node:util";
import { asAppError, isAppError } from "../../lib/errors";
import { readBeirDataset } from "../../lib/evaluation/beir-dataset";
import { loadReranker } from "../../lib/retrieval/load-reranker";
import type { Reranker } from "../../lib/retrieval/reranker";
import type { SearchMode } from "../../lib/vector-store/vector-store";
import { runBeirEvaluation } from "./beir-eval";
import { createEvalFolio, type EvalEmbedder } from "./eval-folio";
import { reportBeirEvaluation, reportFinanceBenchEvaluation } from "./eval-report";
import { runFinanceBenchEvaluation } from "./financebench-eval";

export const usage = `Usage:
  npm run eval -- --beir <dir> [--mode text|vector|hybrid|all] [--rerank] [--limit-queries N] [--split test]
  npm run eval -- --financebench <dir> [--mode text|vector|hybrid|all]
Options (both): [--embedder configured|test]

Ingests the data set through Folio's own pipeline into a scratch data directory (removed after),
runs the queries through Folio's retrieval and prints the figures; results also go to
bench-results/ for docs/BENCHMARKS.md. Uses the app's configuration (EMBEDDING_MODEL, MODELS_DIR,
CHUNK_MAX_TOKENS, FTS_LANGUAGE, RERANK_MODEL…), never its data. --embedder test uses the tests' tiny
embedder instead (full-text figures are real; vector figures then only prove the mechanics).
Exit codes: 0 done, 1 failed, 2 bad data set or missing model, 64 bad arguments.`;

const modes: readonly SearchMode[] = ["text", "vector", "hybrid"];

export interface EvalIo {
  environment: Record<string, string | undefined>;
  err: (line: string) => void;
}

/** `npm run eval`; returns the exit code. */
export async function runEval(argv: readonly string[], io: EvalIo): Promise<number> {
  let parsed: ReturnType<typeof parseArguments>;
  try {
    parsed = parseArguments(argv);
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${usage}`);
    return 64;
  }
  if (parsed.help) {
    io.err(usage);
    return 0;
  }
  const command = `npm run eval -- ${argv.join(" ")}`;
  let evalFolio: Awaited<ReturnType<typeof createEvalFolio>> | undefined;
  let reranker: Reranker | null = null;
  try {
    const dataset = parsed.beir
      ? await readBeirDataset(parsed.beir, { split: parsed.split, limitQueries: parsed.limitQueries })
      : undefined;
    evalFolio = await createEvalFolio({ environment: io.environment, embedder: parsed.embedder });
    const { folio, embedderDescription } = evalFolio;
    await folio.embeddingParts();
    if (parsed.rerank) {
      reranker = await loadReranker(folio.config);
      if (!reranker) {
        io.err("--rerank needs a reranking model: set RERANK_MODEL (see docs/evaluation.md).");
        return 2;
      }
    }
    if (dataset) {
      const evaluation = await runBeirEvaluation(folio, dataset, { modes: parsed.modes, reranker });
      await reportBeirEvaluation(evaluation, {
        command,
        embedderDescription,
        resultsName: `beir-${dataset.name.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`,
      });
    } else if (parsed.financebench) {
      const evaluation = await runFinanceBenchEvaluation(folio, parsed.financebench, { modes: parsed.modes });
      await reportFinanceBenchEvaluation(evaluation, { command, embedderDescription });
    }
    return 0;
  } catch (error) {
    if (!isAppError(error)) throw error;
    const appError = asAppError(error);
    io.err(`${appError.code}: ${appError.message}`);
    if (appError.details?.command) io.err(`Fix: ${appError.details.command}`);
    if (appError.code === "unavailable:embedder_missing") {
      io.err("Or evaluate the full-text figures with the tests' tiny embedder: --embedder test");
    }
    return ["invalid", "unavailable"].includes(appError.category) ? 2 : 1;
  } finally {
    await reranker?.dispose();
    await evalFolio?.close();
  }
}

function parseArguments(argv: readonly string[]) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      beir: { type: "string" },
      financebench: { type: "string" },
      mode: { type: "string", default: "all" },
      rerank: { type: "boolean", default: false },
      "limit-queries": { type: "string" },
      split: { type: "string", default: "test" },
      embedder: { type: "string", default: "configured" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return { help: true as const, ...defaults };
  if (Boolean(values.beir) === Boolean(values.financebench))
    throw new Error("Give --beir <dir> or --financebench <dir>.");
  const mode = values.mode ?? "all";
  if (mode !== "all" && !(modes as readonly string[]).includes(mode))
    throw new Error(`--mode takes text, vector, hybrid or all, not ${mode}`);
  const embedder = values.embedder ?? "configured";
  if (embedder !== "configured" && embedder !== "test")
    throw new Error("--embedder takes configured or test");
  const limit = values["limit-queries"];
  const limitQueries = limit === undefined ? undefined : Number(limit);
  if (limitQueries !== undefined && (!Number.isInteger(limitQueries) || limitQueries < 1))
    throw new Error("--limit-queries takes a positive integer");
  if (values.rerank && values.financebench) throw new Error("--rerank applies to --beir only");
  return {
    help: false as const,
    beir: values.beir,
    financebench: values.financebench,
    modes: mode === "all" ? modes : [mode as SearchMode],
    rerank: values.rerank ?? false,
    limitQueries,
    split: values.split ?? "test",
    embedder: embedder as EvalEmbedder,
  };
}

const defaults = {
  beir: undefined,
  financebench: undefined,
  modes,
  rerank: false,
  limitQueries: undefined,
  split: "test",
  embedder: "configured" as EvalEmbedder,
};
