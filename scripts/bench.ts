import { cpus, platform, release, totalmem } from "node:os";
import path from "node:path";
import { runAskBench } from "./bench/ask-bench";
import { runAuditBench } from "./bench/audit-bench";
import { runAuthBench } from "./bench/auth-bench";
import { writeBenchmarksDoc } from "./bench/benchmarks-doc";
import {
  type CorpusPdf,
  checkPopplerInstalled,
  hasCorpusPdfs,
  resolveCorpusPdfsDir,
  selectSmallestTextPdfs,
} from "./bench/corpus";
import { runDocumentsBench } from "./bench/documents-bench";
import { runEmbedderOverheadBench } from "./bench/embedder-overhead-bench";
import {
  type BenchMode,
  benchModes,
  runIngestWhileAnsweringBench,
} from "./bench/ingest-while-answering-bench";
import { layoutBenchMarkdown, runLayoutBench, writeLayoutReport } from "./bench/layout-bench";
import { runLoadBench } from "./bench/load-bench";
import { runModelSpeedBench } from "./bench/model-speed-bench";
import { runOcrBench } from "./bench/ocr-bench";
import {
  parseRerankBenchOptions,
  rerankBenchOptionNames,
  rerankBenchUsage,
  runRerankBench,
} from "./bench/rerank-bench";
import { runSearchBench } from "./bench/search-bench";
import {
  parseSearchBenchOptions,
  searchBenchOptionNames,
  searchBenchUsage,
} from "./bench/search-bench-options";
import { runStartupBench } from "./bench/startup-bench";
import { evalBenchOptions, runEvalBench } from "./eval/eval-benches";

/**
 * Folio's benchmarks: `npm run bench -- <name|all|report|doc> [--runs N] [--option value…]`. Prints a
 * table per benchmark and one `BENCH_RESULT {json}` line with every figure and the machine's facts;
 * benchmarks that write a results file (bench-results/<name>.json) feed docs/BENCHMARKS.md, which
 * `doc` regenerates, `report` regenerates after running the benchmarks of `reportBenches`, and
 * `all` after running every benchmark (one that fails is reported and the others still run).
 * Exit codes: 0 done, 1 a benchmark failed, 2 missing corpus or tool, 64 bad arguments.
 */
interface BenchContext {
  runs: number;
  options: ReadonlyMap<string, string>;
  /** The smallest text PDFs of the corpus; filled only when a selected benchmark needs them. */
  textPdfs: readonly CorpusPdf[];
}

interface BenchEntry {
  name: string;
  /** Needs the corpus PDFs and poppler's tools. */
  needsPdfCorpus?: boolean;
  /** `--name value` options it takes besides `--runs`. */
  options?: readonly string[];
  run: (context: BenchContext) => Promise<unknown>;
}

function numberOption(context: BenchContext, name: string, fallback: number): number {
  const value = Number(context.options.get(name) ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${name} takes a positive integer`);
  return value;
}

/** Every benchmark, one line each. */
const benches: readonly BenchEntry[] = [
  {
    name: "ingest",
    needsPdfCorpus: true,
    options: ["bge-layers", "bge-pages"],
    run: (context) =>
      runDocumentsBench({
        bgeLayers: numberOption(context, "bge-layers", 12),
        bgePages: numberOption(context, "bge-pages", 60),
      }),
  },
  {
    name: "embedder",
    options: ["layers", "chunks", "output"],
    run: (context) =>
      runEmbedderOverheadBench({
        layers: numberOption(context, "layers", 12),
        chunks: numberOption(context, "chunks", 128),
        rounds: context.runs,
        output:
          context.options.get("output") === "sentence_embedding" ? "sentence_embedding" : "last_hidden_state",
      }),
  },
  {
    name: "ask",
    needsPdfCorpus: true,
    run: async (context) => ({
      answers: await runAskBench(context.textPdfs, context.runs),
      ...(await runModelSpeedBench(context.runs)),
    }),
  },
  { name: "startup", run: (context) => runStartupBench(context.runs) },
  {
    name: "load",
    options: ["levels"],
    run: (context) => {
      const levels = (context.options.get("levels") ?? "1,2,4,8,16,32").split(",").map(Number);
      if (!levels.every((level) => Number.isInteger(level) && level >= 1 && level <= 64))
        throw new UsageError("--levels takes integers from 1 to 64 separated by commas, e.g. 1,2,4");
      return runLoadBench({ levels, runs: context.runs });
    },
  },
  {
    name: "ingest-while-answering",
    options: ["modes", "ingest-threads", "yield-ms", "questions", "pages", "bge-layers"],
    run: (context) => {
      const modes = (context.options.get("modes") ?? benchModes.join(",")).split(",");
      if (!modes.every((mode): mode is BenchMode => (benchModes as readonly string[]).includes(mode)))
        throw new UsageError(`--modes takes some of ${benchModes.join(",")}`);
      return runIngestWhileAnsweringBench({
        modes,
        ingestThreads: context.options.has("ingest-threads")
          ? numberOption(context, "ingest-threads", 1)
          : undefined,
        yieldMs: context.options.has("yield-ms") ? numberOption(context, "yield-ms", 1000) : undefined,
        questions: numberOption(context, "questions", 20),
        pages: numberOption(context, "pages", 40),
        bgeLayers: numberOption(context, "bge-layers", 12),
        runs: context.runs,
      });
    },
  },
  { name: "auth", run: (context) => runAuthBench(context.runs) },
  {
    name: "audit",
    options: ["events", "checkpoint-every"],
    run: (context) =>
      runAuditBench({
        events: numberOption(context, "events", 100_000),
        checkpointEvery: numberOption(context, "checkpoint-every", 1_000),
      }),
  },
  {
    name: "layout",
    needsPdfCorpus: true,
    run: async () => {
      const pdfsDir = resolveCorpusPdfsDir();
      const layout = await runLayoutBench(pdfsDir);
      console.log(`\nTables: structure against ICDAR 2013 and tabula-java ground truth (${pdfsDir})\n`);
      console.log(layoutBenchMarkdown(layout));
      await writeLayoutReport(layout);
      return layout;
    },
  },
  {
    name: "beir",
    options: evalBenchOptions,
    run: (context) => runEvalBench("beir", context.options, process.env),
  },
  {
    name: "financebench",
    options: evalBenchOptions,
    run: (context) => runEvalBench("financebench", context.options, process.env),
  },
  {
    name: "ocr",
    run: (context) => runOcrBench(path.dirname(resolveCorpusPdfsDir()), context.runs),
  },
  {
    name: "rerank",
    options: rerankBenchOptionNames,
    run: (context) => {
      const options = parseRerankBenchOptions(context.options, context.runs);
      if ("problem" in options) throw new UsageError(options.problem);
      return runRerankBench(options);
    },
  },
  {
    name: "search",
    options: searchBenchOptionNames,
    run: (context) => {
      const options = parseSearchBenchOptions(context.options, {
        corpusDir: path.dirname(resolveCorpusPdfsDir()),
        cacheDir: path.resolve("bench-data/search"),
      });
      if ("problem" in options) throw new UsageError(options.problem);
      return runSearchBench(options);
    },
  },
];

/** What `report` runs, in this order, before regenerating docs/BENCHMARKS.md (also the doc's order). */
const reportBenches = ["ingest", "embedder", "ocr", "layout"];

/** How many of the smallest text PDFs of the corpus the ask benchmark indexes. */
const askFileCount = 20;

const usage =
  `usage: npm run bench -- <${[...benches.map((bench) => bench.name), "all", "report", "doc"].join("|")}> [--runs N]` +
  "   (default: --runs 3)\n  embedder: [--layers 12] [--chunks 128] [--output last_hidden_state|sentence_embedding]" +
  "\n  audit: [--events 100000] [--checkpoint-every 1000] (one run; PostgreSQL too when DATABASE_URL is set)" +
  "\n  load: [--levels 1,2,4,8,16,32] (N askers + N uploaders at once per level, --runs requests each)" +
  "\n  ingest-while-answering: [--modes shared,split,split-yield] [--ingest-threads N] [--yield-ms N]" +
  " [--questions 20] [--pages 40] [--bge-layers 12]" +
  " (idle answers: --runs × questions)" +
  `\n${rerankBenchUsage}` +
  "\n  beir, financebench: [--dir <data set>] [--mode text|vector|hybrid|all] [--embedder test|configured]" +
  " [--limit-queries N] (npm run eval on the corpus; skipped when absent)" +
  `\n${searchBenchUsage}`;

class UsageError extends Error {}

interface Selection {
  entries: BenchEntry[];
  runs: number;
  options: Map<string, string>;
  writeDoc: boolean;
}

function parseArguments(argumentList: readonly string[]): Selection {
  const options = new Map<string, string>();
  let selected: string | undefined;
  for (let index = 0; index < argumentList.length; index += 1) {
    const argument = argumentList[index] ?? "";
    if (argument.startsWith("--")) {
      const [name = "", inlineValue] = argument.slice(2).split("=", 2);
      const value = inlineValue ?? argumentList[index + 1];
      if (inlineValue === undefined) index += 1;
      if (value === undefined) throw new UsageError(`--${name} takes a value`);
      options.set(name, value);
    } else if (selected === undefined) {
      selected = argument;
    } else {
      throw new UsageError(`unexpected argument ${argument}`);
    }
  }
  const runs = Number(options.get("runs") ?? 3);
  options.delete("runs");
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError("--runs takes a positive integer");

  let entries: BenchEntry[];
  if (selected === "all") entries = [...benches];
  else if (selected === "doc") entries = [];
  else if (selected === "report")
    entries = reportBenches.flatMap((name) => benches.filter((bench) => bench.name === name));
  else {
    const entry = benches.find((candidate) => candidate.name === selected);
    if (!entry)
      throw new UsageError(selected === undefined ? "no benchmark named" : `unknown benchmark ${selected}`);
    entries = [entry];
  }
  const known = new Set(entries.flatMap((entry) => entry.options ?? []));
  for (const name of options.keys()) if (!known.has(name)) throw new UsageError(`unknown option --${name}`);
  return { entries, runs, options, writeDoc: ["doc", "report", "all"].includes(selected ?? "") };
}

function describeMachine(): Record<string, unknown> {
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model ?? "unknown",
    cpuCount: processors.length,
    totalMemoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    nodeVersion: process.version,
    os: `${platform()} ${release()}`,
  };
}

async function main(): Promise<number> {
  let selection: Selection;
  try {
    selection = parseArguments(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n${usage}`);
    return 64;
  }
  const { entries, runs, options } = selection;
  const machine = describeMachine();
  const command = `npm run bench -- ${process.argv.slice(2).join(" ")}`;
  if (entries.length > 0) {
    console.log(`Folio bench: ${entries.map((entry) => entry.name).join(", ")}, ${runs} run(s)`);
    console.log(`machine: ${JSON.stringify(machine)}`);
  }

  const pdfsDir = resolveCorpusPdfsDir();
  const needsCorpus = entries.some((entry) => entry.needsPdfCorpus);
  if (needsCorpus && !hasCorpusPdfs(pdfsDir)) {
    console.error(
      `The corpus is absent: ${pdfsDir} does not exist. Set FOLIO_CORPUS_DIR or place shared/ beside the repo.`,
    );
    return 2;
  }
  const missingTool = needsCorpus ? await checkPopplerInstalled() : undefined;
  if (missingTool) {
    console.error(missingTool);
    return 2;
  }
  const textPdfs = needsCorpus ? await selectSmallestTextPdfs(pdfsDir, askFileCount) : [];
  if (needsCorpus) console.log(`corpus: ${pdfsDir}`);

  const context: BenchContext = { runs, options, textPdfs };
  const results: Record<string, unknown> = {};
  const failed: string[] = [];
  for (const entry of entries) {
    try {
      results[entry.name] = await entry.run(context);
    } catch (error) {
      if (error instanceof UsageError) {
        console.error(`${error.message}\n${usage}`);
        return 64;
      }
      if (entries.length === 1) throw error;
      console.error(`[${entry.name}] failed:`, error);
      failed.push(entry.name);
    }
  }
  if (entries.length > 0)
    console.log(`\nBENCH_RESULT ${JSON.stringify({ command, runs, machine, ...results })}`);
  if (selection.writeDoc) {
    const doc = await writeBenchmarksDoc({ order: reportBenches });
    console.log(
      `\nwrote ${doc.docPath} (${doc.benchmarks.join(", ") || "no results yet"}; ${doc.charts.length} chart(s))`,
    );
  }
  if (failed.length > 0) console.error(`\nfailed: ${failed.join(", ")}`);
  return failed.length > 0 ? 1 : 0;
}

// Only reached when the event loop empties while a benchmark still awaits a promise that can no
// longer settle: without this the process would end with code 0 and no figures.
process.on("beforeExit", () => {
  console.error("\nthe benchmark stopped half-way: it awaited something that can never finish");
  process.exit(1);
});

main().then(
  (exitCode) => process.exit(exitCode),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
