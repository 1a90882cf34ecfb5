import { writeFile } from "node:fs/promises";
import { cpus, platform, release, totalmem } from "node:os";
import { runAskBench } from "./bench/ask-bench";
import { runAuthBench } from "./bench/auth-bench";
import {
  checkPopplerInstalled,
  hasCorpusPdfs,
  resolveCorpusPdfsDir,
  selectSmallestTextPdfs,
} from "./bench/corpus";
import { ingestFileCount, runIngestBench } from "./bench/ingest-bench";
import { layoutBenchMarkdown, runLayoutBench } from "./bench/layout-bench";
import { runStartupBench } from "./bench/startup-bench";

/**
 * Folio's benchmarks: `npm run bench -- <ingest|ask|startup|auth|layout|all> [--runs N] [--json out.json]`.
 * Prints a table per benchmark and one `BENCH_RESULT {json}` line with every figure and the
 * machine's facts; `--json` also writes that object to a file.
 * Exit codes: 0 done, 1 a benchmark failed, 2 missing corpus or tool, 64 bad arguments.
 */
const benchNames = ["ingest", "ask", "startup", "auth", "layout"] as const;
type BenchName = (typeof benchNames)[number];

const usage = `usage: npm run bench -- <${[...benchNames, "all"].join("|")}> [--runs N] [--json out.json]   (default: --runs 3)`;

interface Arguments {
  names: BenchName[];
  runs: number;
  jsonPath?: string;
}

function parseArguments(argumentList: readonly string[]): Arguments {
  let runs = 3;
  let selected: string | undefined;
  let jsonPath: string | undefined;
  for (let index = 0; index < argumentList.length; index += 1) {
    const argument = argumentList[index];
    if (argument === "--json") {
      jsonPath = argumentList[index + 1];
      if (!jsonPath) throw new UsageError("--json takes a file path");
      index += 1;
    } else if (argument?.startsWith("--json=")) {
      jsonPath = argument.slice("--json=".length);
    } else if (argument === "--runs") {
      runs = Number(argumentList[index + 1]);
      index += 1;
    } else if (argument?.startsWith("--runs=")) {
      runs = Number(argument.slice("--runs=".length));
    } else if (selected === undefined && argument !== undefined) {
      selected = argument;
    } else {
      throw new UsageError(`unexpected argument ${argument}`);
    }
  }
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError("--runs takes a positive integer");
  const options = jsonPath === undefined ? {} : { jsonPath };
  if (selected === "all") return { names: [...benchNames], runs, ...options };
  const name = benchNames.find((candidate) => candidate === selected);
  if (!name)
    throw new UsageError(selected === undefined ? "no benchmark named" : `unknown benchmark ${selected}`);
  return { names: [name], runs, ...options };
}

class UsageError extends Error {}

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
  let names: BenchName[];
  let runs: number;
  let jsonPath: string | undefined;
  try {
    ({ names, runs, jsonPath } = parseArguments(process.argv.slice(2)));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n${usage}`);
    return 64;
  }
  const machine = describeMachine();
  const command = `npm run bench -- ${process.argv.slice(2).join(" ")}`;
  console.log(`Folio bench: ${names.join(", ")}, ${runs} run(s)`);
  console.log(`machine: ${JSON.stringify(machine)}`);

  const pdfsDir = resolveCorpusPdfsDir();
  const needsCorpus = names.includes("ingest") || names.includes("ask");
  if (names.includes("layout") && !hasCorpusPdfs(pdfsDir)) {
    console.error(`The corpus is absent: ${pdfsDir} does not exist. Set FOLIO_CORPUS_DIR.`);
    return 2;
  }
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
  const textPdfs = needsCorpus ? await selectSmallestTextPdfs(pdfsDir, ingestFileCount) : [];
  if (needsCorpus) console.log(`corpus: ${pdfsDir}`);

  const results: Record<string, unknown> = {};
  for (const name of names) {
    if (name === "ingest") results.ingest = await runIngestBench(textPdfs, runs);
    if (name === "ask") results.ask = await runAskBench(textPdfs, runs);
    if (name === "startup") results.startup = await runStartupBench(runs);
    if (name === "auth") results.auth = await runAuthBench(runs);
    if (name === "layout") {
      const layout = await runLayoutBench(pdfsDir);
      console.log(`\nTables: structure against ICDAR 2013 and tabula-java ground truth (${pdfsDir})\n`);
      console.log(layoutBenchMarkdown(layout));
      results.layout = layout;
    }
  }
  const report = { command, runs, machine, ...results };
  console.log(`\nBENCH_RESULT ${JSON.stringify(report)}`);
  if (jsonPath) await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  return 0;
}

main().then(
  (exitCode) => process.exit(exitCode),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
