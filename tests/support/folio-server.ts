import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createFreshPostgresDatabase } from "./test-database";

export interface FolioServer {
  baseUrl: string;
  dataDir: string;
  /** The Folio settings the server runs with (DATA_DIR, DATABASE_URL, models …), to start peers. */
  environment: Record<string, string>;
  /** Everything the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
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
 * Starts the production build (`next start`) as a real process on a free port with its own
 * DATA_DIR — and, when the test run has DATABASE_URL, its own fresh PostgreSQL database.
 */
export async function startFolioServer(environment: Record<string, string>): Promise<FolioServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "folio-server-"));
  const port = await freePort();
  const database = await createFreshPostgresDatabase("folio_e2e");
  const folioEnvironment = {
    DATA_DIR: dataDir,
    DATABASE_URL: database?.url ?? "",
    AUTO_PULL_MODELS: "false",
    ...environment,
  };
  const child: ChildProcess = spawn(
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
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => {
        const timer = setTimeout(() => {
          child.kill("SIGKILL");
          resolve(undefined);
        }, 10_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
    }
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntilServing(`${baseUrl}/api/collections`, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, dataDir, environment: folioEnvironment, output: () => output, stop };
}

async function waitUntilServing(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Folio exited with ${child.exitCode}:\n${output()}`);
    const response = await fetch(url).catch(() => undefined);
    if (response?.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Folio did not serve ${url} within 90 s:\n${output()}`);
}
