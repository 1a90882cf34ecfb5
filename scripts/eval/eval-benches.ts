import { existsSync } from "node:fs";
import path from "node:path";
import { corpusDirOf } from "./eval-folio";
import { runEval } from "./run-eval";

/** Options `npm run bench -- beir|financebench` takes, passed on to `npm run eval`. */
export const evalBenchOptions = ["dir", "mode", "embedder", "limit-queries"] as const;

/**
 * `npm run bench -- beir` / `financebench`: `npm run eval` on the corpus's SciFact or FinanceBench
 * (or `--dir`), with the tests' tiny embedder unless `--embedder configured` (benchmarks run on
 * test models: the full-text figures are real, vector ones prove the mechanics). A data set that
 * is absent is skipped with the reason printed.
 */
export async function runEvalBench(
  kind: "beir" | "financebench",
  options: ReadonlyMap<string, string>,
  environment: Record<string, string | undefined>,
): Promise<{ exitCode: number } | { skipped: string }> {
  const corpusDir = corpusDirOf(environment);
  const dir = path.resolve(
    options.get("dir") ??
      (kind === "beir"
        ? path.join(corpusDir, "retrieval", "scifact")
        : path.join(corpusDir, "qa", "financebench")),
  );
  if (!existsSync(dir)) {
    const skipped = `${dir} is absent (set FOLIO_CORPUS_DIR, or --dir <data set>)`;
    console.log(`[${kind}] skipped: ${skipped}`);
    return { skipped };
  }
  const argv = [`--${kind}`, dir, "--mode", options.get("mode") ?? "all"];
  argv.push("--embedder", options.get("embedder") ?? "test");
  const limitQueries = options.get("limit-queries");
  if (limitQueries !== undefined && kind === "beir") argv.push("--limit-queries", limitQueries);
  const exitCode = await runEval(argv, { environment, err: (line) => console.error(line) });
  if (exitCode !== 0) throw new Error(`npm run eval -- ${argv.join(" ")} exited with code ${exitCode}`);
  return { exitCode };
}
