import { readFile, rm, writeFile } from "node:fs/promises";

/**
 * PGlite is an in-process database: two processes opening one data directory would corrupt it.
 * A lock file holding the owner's pid makes the second opener fail with a clear message; a lock
 * left by a process that died is taken over.
 */
export async function acquirePgliteLock(directory: string): Promise<() => Promise<void>> {
  const lockPath = `${directory}.lock`;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await writeFile(lockPath, String(process.pid), { flag: "wx" });
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const ownerPid = Number.parseInt(await readFile(lockPath, "utf8").catch(() => ""), 10);
      if (Number.isInteger(ownerPid) && ownerPid !== process.pid && isAlive(ownerPid)) {
        throw new PgliteLockedError(directory, ownerPid);
      }
      await rm(lockPath, { force: true });
    }
  }
  throw new PgliteLockedError(directory, Number.NaN);
}

export class PgliteLockedError extends Error {
  override readonly name = "PgliteLockedError";
  constructor(
    readonly directory: string,
    readonly ownerPid: number,
  ) {
    super(
      `The embedded database in ${directory} is in use by another Folio process (pid ${ownerPid}). ` +
        "Stop that process, use the running app (web UI or HTTP API), or set DATABASE_URL to share a PostgreSQL server.",
    );
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
