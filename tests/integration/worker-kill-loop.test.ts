import { type ChildProcess, spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createCollection } from "../../db/queries/collections";
import { documents, documentVersions, ingestJobs } from "../../db/schema";
import { verifyLedger } from "../../lib/audit/verify-ledger";
import { loadConfig } from "../../lib/config";
import { createFolio } from "../../lib/runtime";
import type { LanceDbStore } from "../../lib/vector-store/lancedb-store";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { createFreshPostgresDatabase } from "../support/test-database";
import { buildTestModels, testModelEnvironment } from "../support/test-models";
import { bytesOf, createTestFolio, drainQueue } from "../support/test-runtime";

/**
 * kill -9 of the process running the ingest worker, at random points, while it ingests a batch
 * (on PGlite that process owns the database, as `npm start` does; on PostgreSQL it is one
 * `npm run worker`). Afterwards every document is indexed exactly once, with the chunk counts of
 * a clean run, no job is stuck and no file is orphaned.
 */
const killCount = Number(process.env.FAULT_KILL_COUNT ?? 50);
const batch = Array.from({ length: 8 }, (_, documentIndex) => ({
  name: `ledger-${documentIndex}.pdf`,
  bytes: buildTextPdf({
    pages: Array.from({ length: 6 }, (_, pageIndex) => [
      `Ledger ${documentIndex}, page ${pageIndex + 1}: the depot in region ${documentIndex * 10 + pageIndex} ` +
        `received ${documentIndex * 100 + pageIndex * 7} crates of valves and ${pageIndex * 3} pumps.`,
      `Inspector ${pageIndex} signed the intake sheet; storage row ${documentIndex}-${pageIndex} holds the spares.`,
      `Section ${pageIndex}.1 lists the suppliers, the delivery windows and the penalties for late arrival.`,
    ]),
  }),
}));

let environment: Record<string, string>;
let dropDatabase: () => Promise<void> = async () => {};
const expectedChunks = new Map<string, number>();

beforeAll(async () => {
  // The clean run: the same files, ingested in this process without interruption.
  const clean = await createTestFolio({ usePostgres: false });
  try {
    const { collection } = await createCollection({ db: clean.database.db, name: "clean" });
    for (const file of batch) {
      await clean.ingest.accept({
        collectionId: collection.id,
        fileName: file.name,
        body: bytesOf(file.bytes),
      });
    }
    await drainQueue(clean);
    const rows = await clean.database.db
      .select({ title: documents.title, chunkCount: documentVersions.chunkCount })
      .from(documentVersions)
      .innerJoin(documents, eq(documents.id, documentVersions.documentId));
    for (const row of rows) expectedChunks.set(row.title, row.chunkCount ?? -1);
  } finally {
    await clean.close();
  }
  expect(expectedChunks.size).toBe(batch.length);

  const dataDir = path.join(process.cwd(), "test-output", `kill-loop-${process.pid}`);
  const models = await buildTestModels(path.join(dataDir, "models"));
  const database = await createFreshPostgresDatabase("folio_kill");
  if (database) dropDatabase = database.drop;
  environment = {
    DATA_DIR: dataDir,
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...testModelEnvironment(models, path.join(dataDir, "models")),
    // Attempts are counted per claim; this test is about what a kill leaves, not the limit.
    INGEST_MAX_ATTEMPTS: String(killCount + 10),
    INGEST_LEASE_SECONDS: "1",
    INGEST_CONCURRENCY: "2",
  };
  const folio = await createFolio(loadConfig(environment), { log: () => {} });
  try {
    const { collection } = await createCollection({ db: folio.database.db, name: "batch" });
    for (const file of batch) {
      await folio.ingest.accept({
        collectionId: collection.id,
        fileName: file.name,
        body: bytesOf(file.bytes),
      });
    }
  } finally {
    await folio.close();
  }
}, 180_000);

afterAll(async () => dropDatabase());

function startWorker(args: string[] = []): { child: ChildProcess; output: () => string } {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "tests/support/ingest-worker-process.ts", ...args],
    {
      env: { ...process.env, ...environment },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  return { child, output: () => output };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

it(`survives ${killCount} kill -9s of its ingest worker: each document indexed once, nothing stuck or orphaned`, async () => {
  let killedAfterStart = 0;
  let jobsFinishedBetweenKills = 0;
  for (let kill = 0; kill < killCount; kill += 1) {
    const worker = startWorker();
    // One kill in five lands during start-up (migrations, model loading), the rest into the work.
    if (Math.random() < 0.2) {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2_000));
    } else {
      await waitFor(() => worker.output().includes("worker-ready") || worker.child.exitCode !== null);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2_000));
      killedAfterStart += 1;
    }
    worker.child.kill("SIGKILL");
    await exited(worker.child);
    jobsFinishedBetweenKills += worker.output().match(/\[ingest\] job \S+: indexed/g)?.length ?? 0;
  }

  const finisher = startWorker(["--drain"]);
  const code = await exited(finisher.child);
  expect(code, finisher.output()).toBe(0);

  const folio = await createFolio(loadConfig(environment), { log: () => {} });
  try {
    const { db } = folio.database;
    const jobs = await db.select().from(ingestJobs);
    expect(jobs.map((job) => job.state)).toEqual(Array(batch.length).fill("succeeded"));
    const versions = await db
      .select({ title: documents.title, version: documentVersions })
      .from(documentVersions)
      .innerJoin(documents, eq(documents.id, documentVersions.documentId));
    expect(versions).toHaveLength(batch.length);
    const store = (await folio.store()) as LanceDbStore;
    for (const { title, version } of versions) {
      expect(version.status, title).toBe("indexed");
      expect(version.chunkCount, title).toBe(expectedChunks.get(title));
      // Exactly once: the index holds the clean run's count, not a multiple of it.
      expect(await store.countChunks({ documentId: version.documentId }), title).toBe(
        expectedChunks.get(title),
      );
    }
    expect(await store.countChunks()).toBe([...expectedChunks.values()].reduce((a, b) => a + b, 0));

    const incoming = await readdir(path.join(folio.config.blobsDir, ".incoming")).catch(() => []);
    expect(incoming).toEqual([]);
    const blobFiles = (await readdir(folio.config.blobsDir, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .sort();
    expect(blobFiles).toEqual(versions.map(({ version }) => version.sha256).sort());

    const [documentCount] = await db.select({ count: sql<number>`count(*)::int` }).from(documents);
    expect(documentCount?.count).toBe(batch.length);
    expect((await verifyLedger(db)).isIntact).toBe(true);
  } finally {
    await folio.close();
  }
  console.info(
    `kill loop: ${killCount} kills, ${killedAfterStart} after the worker had started, ${jobsFinishedBetweenKills} jobs finished between kills`,
  );
}, 600_000);
