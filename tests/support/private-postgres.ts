import { execFile } from "node:child_process";
import { chmod, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { findFreePort } from "./folio-server";

const run = promisify(execFile);

/**
 * A PostgreSQL server of this test's own (initdb in a temp directory, a free port, trust auth), so
 * a test can stop and restart it without disturbing the server the other tests share. As root it
 * runs as the `postgres` user, as PostgreSQL requires.
 */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/folio` */
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its files. */
  destroy(): Promise<void>;
}

/** The directory of PostgreSQL's server programs, or undefined when this machine has none. */
export async function postgresBinDirectory(): Promise<string | undefined> {
  const root = "/usr/lib/postgresql";
  const versions = await readdir(root).catch(() => [] as string[]);
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest ? path.join(root, newest, "bin") : undefined;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = await postgresBinDirectory();
  if (!bin) throw new Error("PostgreSQL's server programs are not installed (/usr/lib/postgresql/*/bin)");
  const directory = await mkdtemp(path.join(tmpdir(), "folio-private-pg-"));
  await chmod(directory, 0o777);
  const dataDir = path.join(directory, "data");
  const port = await findFreePort();
  const isRoot = process.getuid?.() === 0;
  const asOwner = (program: string, args: string[]) =>
    isRoot
      ? run("runuser", ["-u", "postgres", "--", path.join(bin, program), ...args])
      : run(path.join(bin, program), args);

  await asOwner("initdb", ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const options = `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = async () => {
    await asOwner("pg_ctl", ["-D", dataDir, "-o", options, "-w", "-l", path.join(directory, "log"), "start"]);
  };
  const stop = async () => {
    await asOwner("pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "stop"]);
  };
  await start();
  await run(path.join(bin, "createdb"), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "folio"]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/folio`,
    start,
    stop,
    destroy: async () => {
      await stop().catch(() => {});
      await rm(directory, { recursive: true, force: true });
    },
  };
}
