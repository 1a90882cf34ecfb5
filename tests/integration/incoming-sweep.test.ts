import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../../lib/config";
import { createFolio, type Folio } from "../../lib/runtime";
import { createFreshPostgresDatabase } from "../support/test-database";

/**
 * A process that starts sweeps `.incoming` files that interrupted uploads (a crash, a kill -9)
 * left behind, once they are older than INCOMING_MAX_AGE_MINUTES; a file still being written
 * (by another process: it is fresh) stays.
 */
let dataDir: string;
let folio: Folio | undefined;
let database: Awaited<ReturnType<typeof createFreshPostgresDatabase>>;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "folio-sweep-"));
  database = await createFreshPostgresDatabase();
});

afterAll(async () => {
  await folio?.close();
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

it("removes stale .incoming files at start and keeps fresh ones", async () => {
  const incoming = path.join(dataDir, "blobs", ".incoming");
  await mkdir(incoming, { recursive: true });
  const stale = path.join(incoming, "interrupted-upload");
  const fresh = path.join(incoming, "upload-in-another-process");
  await writeFile(stale, "half a file");
  await writeFile(fresh, "still arriving");
  const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
  await utimes(stale, twoHoursAgo, twoHoursAgo);

  const logged: string[] = [];
  folio = await createFolio(
    loadConfig({ DATA_DIR: dataDir, DATABASE_URL: database?.url, INCOMING_MAX_AGE_MINUTES: "60" }),
    { log: (message) => logged.push(message) },
  );
  const deadline = Date.now() + 5000;
  const isSwept = () => logged.some((message) => message.includes("removed 1 interrupted upload"));
  while (!isSwept() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(existsSync(stale)).toBe(false);
  expect(existsSync(fresh)).toBe(true);
  expect(logged.join("\n")).toContain("removed 1 interrupted upload");
});
