import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawnFolioServer, waitUntilServing } from "../../tests/support/folio-server";
import { buildTestModels } from "../../tests/support/test-models";
import { ensureNextBuild } from "../next-build";
import { createBenchModelEnvironment } from "./bench-folio";
import { computeMedian, roundTo } from "./statistics";
import { printTable } from "./table";

const startDeadlineMs = 120_000;

interface StartupRun {
  pageReadyMs: number;
  apiReadyMs: number;
  serverRssMb: number | null;
}

/**
 * Cold start of the production server (`next start`) with an empty DATA_DIR: time from spawn to
 * the first `GET /` answered 200, and to the first `GET /api/auth/options` 200 (opens PGlite and
 * runs the migrations). Both are polled side by side from the moment of spawn.
 */
export async function runStartupBench(runs: number): Promise<Record<string, unknown>> {
  const buildState = await ensureNextBuild();
  console.log(`\n[startup] production build ${buildState}`);
  const results: StartupRun[] = [];
  for (let run = 1; run <= runs; run += 1) {
    const result = await measureStartupRun();
    results.push(result);
    console.log(
      `[startup] run ${run}/${runs}: GET / ${result.pageReadyMs.toFixed(0)} ms, GET /api/auth/options ${result.apiReadyMs.toFixed(0)} ms`,
    );
  }
  const median = (pick: (run: StartupRun) => number | null) =>
    computeMedian(results.map(pick).filter((value): value is number => value !== null));
  const figures = {
    pageReadyMs: roundTo(
      median((run) => run.pageReadyMs),
      1,
    ),
    apiReadyMs: roundTo(
      median((run) => run.apiReadyMs),
      1,
    ),
    serverRssMb: roundTo(
      median((run) => run.serverRssMb),
      1,
    ),
    runs,
  };
  printTable(
    `Startup — next start, fresh DATA_DIR, median of ${runs} runs`,
    ["figure", "value"],
    [
      ["spawn → first GET / 200 (ms)", figures.pageReadyMs],
      ["spawn → first GET /api/auth/options 200 (ms)", figures.apiReadyMs],
      ["server RSS once serving (MB)", figures.serverRssMb],
    ],
  );
  return figures;
}

async function measureStartupRun(): Promise<StartupRun> {
  const modelsDir = await mkdtemp(path.join(tmpdir(), "folio-bench-startup-"));
  const models = await buildTestModels(modelsDir);
  const startedAt = performance.now();
  const server = await spawnFolioServer(createBenchModelEnvironment(models, modelsDir), {
    usePostgres: false,
  });
  try {
    const [pageReadyAt, apiReadyAt] = await Promise.all([
      waitUntilServing(server, `${server.baseUrl}/`, startDeadlineMs),
      waitUntilServing(server, `${server.baseUrl}/api/auth/options`, startDeadlineMs),
    ]);
    return {
      pageReadyMs: pageReadyAt - startedAt,
      apiReadyMs: apiReadyAt - startedAt,
      serverRssMb: await readResidentMemoryMb(server.child.pid),
    };
  } finally {
    await server.stop();
    await rm(modelsDir, { recursive: true, force: true });
  }
}

async function readResidentMemoryMb(processId: number | undefined): Promise<number | null> {
  if (processId === undefined) return null;
  const status = await readFile(`/proc/${processId}/status`, "utf8").catch(() => "");
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match?.[1] ? Number(match[1]) / 1024 : null;
}
