import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { type FolioApi, folioApi, setUpFirstAdmin, setupTokenIn } from "./api";
import { copyPgliteTemplate } from "./pglite-template";
import { createFreshPostgresDatabase } from "./test-database";

export interface FolioServer {
  baseUrl: string;
  dataDir: string;
  /** The Folio settings the server runs with (DATA_DIR, DATABASE_URL, models …), to start peers. */
  environment: Record<string, string>;
  /** The `next start` process. */
  child: ChildProcess;
  /** Everything the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** @default true when this process has DATABASE_URL: a fresh database on that server. */
  usePostgres?: boolean;
  /** A port chosen beforehand (`findFreePort`), when the test must know Folio's URL before it starts. */
  port?: number;
}

export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Spawns the production build (`next start`) on a free port with its own DATA_DIR — and, with
 * PostgreSQL, its own fresh database — without waiting for it to serve.
 */
export async function spawnFolioServer(
  environment: Record<string, string>,
  options: SpawnOptions = {},
): Promise<FolioServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "folio-server-"));
  const port = options.port ?? (await findFreePort());
  const database =
    (options.usePostgres ?? Boolean(process.env.DATABASE_URL))
      ? await createFreshPostgresDatabase("folio_e2e")
      : undefined;
  const folioEnvironment = {
    DATA_DIR: dataDir,
    DATABASE_URL: database?.url ?? "",
    LANCEDB_URI: "",
    AUTO_PULL_MODELS: "false",
    ...environment,
  };
  if (!folioEnvironment.DATABASE_URL && folioEnvironment.DATA_DIR === dataDir) {
    await copyPgliteTemplate(path.join(dataDir, "pg"));
  }
  const child = spawn(
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
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...folioEnvironment },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout?.on("data", (piece) => {
    output += piece;
  });
  child.stderr?.on("data", (piece) => {
    output += piece;
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    dataDir,
    environment: folioEnvironment,
    child,
    output: () => output,
    stop,
  };
}

/** Polls `url` until it answers 200; returns the `performance.now()` of that answer. */
export async function waitUntilServing(
  server: FolioServer,
  url: string,
  timeoutMs = 90_000,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (server.child.exitCode !== null)
      throw new Error(`Folio exited with ${server.child.exitCode}:\n${server.output()}`);
    const response = await fetch(url, { signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
    await response?.arrayBuffer();
    if (response?.status === 200) return performance.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms:\n${server.output()}`);
}

/** Polls until the API answers (the database is open and migrated). */
export function waitUntilApiServing(server: FolioServer, timeoutMs?: number): Promise<number> {
  return waitUntilServing(server, `${server.baseUrl}/api/auth/options`, timeoutMs);
}

export interface StartedFolioServer extends FolioServer {
  /** The first admin, created through the one-time setup link the empty install printed. */
  admin: FolioApi;
}

/**
 * Spawns Folio, waits until its API answers, and sets up the first admin the way a new user
 * does: through the setup link the server printed.
 */
export async function startFolioServer(
  environment: Record<string, string>,
  options: SpawnOptions = {},
): Promise<StartedFolioServer> {
  const server = await spawnFolioServer(environment, options);
  try {
    await waitUntilApiServing(server);
    const setupToken = setupTokenIn(server.output());
    if (!setupToken) throw new Error(`no setup link printed:\n${server.output()}`);
    const cookie = await setUpFirstAdmin(server.baseUrl, setupToken);
    return { ...server, admin: folioApi(server.baseUrl, { cookie }) };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
