import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildTestModels } from "../../tests/support/test-models";
import { ensureNextBuild } from "../next-build";
import { createBenchModelEnvironment } from "./bench-folio";
import { computeMedian, roundTo } from "./statistics";
import { printTable } from "./table";

const pollIntervalMs = 20;
const startDeadlineMs = 120_000;

interface StartupRun {
  pageReadyMs: number;
  apiReadyMs: number;
  serverRssMb: number | null;
}

/**
 * Cold start of the production server (`next start`) with an empty DATA_DIR: time from spawn to
 * the first `GET /` answered 200, and to the first `GET /api/collections` 200 (opens PGlite and
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
      `[startup] run ${run}/${runs}: GET / ${result.pageReadyMs.toFixed(0)} ms, GET /api/collections ${result.apiReadyMs.toFixed(0)} ms`,
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
      ["spawn → first GET /api/collections 200 (ms)", figures.apiReadyMs],
      ["server RSS once serving (MB)", figures.serverRssMb],
    ],
  );
  return figures;
}

async function measureStartupRun(): Promise<StartupRun> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "folio-bench-startup-"));
  const modelsDir = path.join(dataDir, "models");
  const models = await buildTestModels(modelsDir);
  const port = await findFreePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const startedAt = performance.now();
  const server = spawn(
    process.execPath,
    [
      path.join("node_modules", "next", "dist", "bin", "next"),
      "start",
      "-p",
      String(port),
      "-H",
      "127.0.0.1",
    ],
    {
      env: {
        ...process.env,
        ...createBenchModelEnvironment(models, modelsDir),
        NEXT_TELEMETRY_DISABLED: "1",
        DATA_DIR: dataDir,
        // Blank values count as unset in loadConfig: embedded PGlite and LanceDB under DATA_DIR.
        DATABASE_URL: "",
        LANCEDB_URI: "",
        AUTO_PULL_MODELS: "false",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  server.stdout?.on("data", (piece) => {
    output += piece;
  });
  server.stderr?.on("data", (piece) => {
    output += piece;
  });
  try {
    const [pageReadyAt, apiReadyAt] = await Promise.all([
      waitForOk(`${baseUrl}/`, server, () => output),
      waitForOk(`${baseUrl}/api/collections`, server, () => output),
    ]);
    return {
      pageReadyMs: pageReadyAt - startedAt,
      apiReadyMs: apiReadyAt - startedAt,
      serverRssMb: await readResidentMemoryMb(server.pid),
    };
  } finally {
    await stopServer(server);
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Polls `url` until it answers 200; returns the `performance.now()` of that answer. */
async function waitForOk(url: string, server: ChildProcess, output: () => string): Promise<number> {
  const deadline = performance.now() + startDeadlineMs;
  while (performance.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`next start exited with ${server.exitCode}:\n${output()}`);
    const response = await fetch(url, { signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
    if (response) await response.arrayBuffer();
    if (response?.status === 200) return performance.now();
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
  throw new Error(`${url} did not answer 200 within ${startDeadlineMs} ms:\n${output()}`);
}

async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once("exit", resolve));
  server.kill("SIGTERM");
  const timer = setTimeout(() => server.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

async function readResidentMemoryMb(processId: number | undefined): Promise<number | null> {
  if (processId === undefined) return null;
  const status = await readFile(`/proc/${processId}/status`, "utf8").catch(() => "");
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match?.[1] ? Number(match[1]) / 1024 : null;
}

async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
