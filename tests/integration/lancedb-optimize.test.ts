import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatabaseHandle, openDatabase } from "../../db/client";
import { LanceDbStore } from "../../lib/vector-store/lancedb-store";
import { createOptimizeSchedule } from "../../lib/vector-store/optimize-schedule";
import type { ChunkWithVector } from "../../lib/vector-store/vector-store";

const dims = 4;
const directories: string[] = [];
let database: DatabaseHandle;

beforeAll(async () => {
  // The schedule takes the chunk-table writer lock, which lives in the database.
  database = await openDatabase({ databaseUrl: undefined, pgliteDir: undefined });
});
afterAll(async () => {
  await database?.close();
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});

async function tableDirectory(): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), "folio-lance-optimize-"));
  directories.push(directory);
  return directory;
}

const collectionId = randomUUID();
const documentId = randomUUID();

function versionChunks(
  round: number,
  owner: { documentId: string; size: number; text: string } = {
    documentId,
    size: 2,
    text: `revision${round}`,
  },
): { versionId: string; chunks: ChunkWithVector[] } {
  const versionId = randomUUID();
  const chunks = Array.from({ length: owner.size }, (_, index) => index).map(
    (index): ChunkWithVector => ({
      id: `${versionId.replaceAll("-", "").slice(0, 24)}${String(index).padStart(8, "0")}`,
      collectionId,
      documentId: owner.documentId,
      versionId,
      chunkIndex: index,
      pageNumber: 1,
      pageLabel: null,
      box: null,
      kind: "text",
      text: `${owner.text} paragraph${index}`,
      source: "text_layer",
      confidence: null,
      headingPath: [],
      figureFile: null,
      contentHash: `hash-${round}-${index}`,
      embedderId: "test",
      vector: Float32Array.from([1, round, index, 0]),
    }),
  );
  return { versionId, chunks };
}

async function writeRevision(store: LanceDbStore, round: number) {
  return store.replaceDocumentChunks({ documentId, ...versionChunks(round) });
}

const dataFiles = (uri: string) => readdir(path.join(uri, "chunks.lance", "data"));

/** The table as LanceDB itself reports it (versions, full-text index coverage). */
async function inspect(uri: string) {
  const connection = await lancedb.connect(uri);
  const table = await connection.openTable("chunks");
  try {
    const versions = (await table.listVersions()).map((version) => version.version);
    const textIndex = (await table.listIndices()).find((index) =>
      index.indexType.toUpperCase().includes("FTS"),
    );
    const textIndexStats = textIndex ? await table.indexStats(textIndex.name) : undefined;
    return { versions, unindexedTextRows: textIndexStats?.numUnindexedRows };
  } finally {
    table.close();
    connection.close();
  }
}

const textSearch = (store: LanceDbStore, text: string) =>
  store
    .search({
      collectionIds: [collectionId],
      queryText: text,
      queryVector: new Float32Array(dims),
      limit: 10,
      mode: "text",
    })
    .then((hits) => hits.map((hit) => hit.chunk.text).sort());

describe("the scheduled optimize of the chunk table", () => {
  it("removes piled-up versions and their files, and indexes new rows for full-text search, while a reader keeps searching", async () => {
    const uri = await tableDirectory();
    const store = await LanceDbStore.create({ uri, dims });
    const reader = await LanceDbStore.create({ uri, dims, readConsistencySeconds: 0 });
    try {
      // Another document first, so the index covers most rows and writes leave the rest to the
      // schedule (a write rebuilds it only while it covers less than half of the table).
      const background = randomUUID();
      await store.replaceDocumentChunks({
        documentId: background,
        ...versionChunks(0, { documentId: background, size: 20, text: "background" }),
      });
      const backgroundFiles = await dataFiles(uri);
      await writeRevision(store, 0);
      // The files that hold revision 0 (the background document's live rows may stay where they are).
      const firstFiles = (await dataFiles(uri)).filter((file) => !backgroundFiles.includes(file));
      for (let round = 1; round <= 6; round += 1) await writeRevision(store, round);

      // Without it: every write left a version and its files, and the full-text index covers
      // none of the rows written after it was made (they are found by a slower flat scan).
      const before = await inspect(uri);
      expect(before.versions.length).toBeGreaterThanOrEqual(8);
      expect(before.unindexedTextRows).toBe(2);
      expect(await textSearch(reader, "revision6")).toEqual(["revision6 paragraph0", "revision6 paragraph1"]);
      const filesBefore = await dataFiles(uri);
      expect(filesBefore).toEqual(expect.arrayContaining(firstFiles));

      const readerProblems: unknown[] = [];
      let isReading = true;
      const reading = (async () => {
        while (isReading) {
          const texts = await textSearch(reader, "revision6").catch((error: unknown) => {
            readerProblems.push(error);
            return [];
          });
          if (texts.length !== 2) readerProblems.push(texts);
        }
      })();

      const schedule = createOptimizeSchedule({
        db: database.db,
        store: async () => store,
        everyMs: 50,
        keepVersionsMs: 0,
        log: () => {},
      });
      schedule.start();
      const deadline = Date.now() + 20_000;
      let prunedBySchedule = false;
      while (!prunedBySchedule && Date.now() < deadline) {
        prunedBySchedule = (await inspect(uri)).versions.length <= 2;
        if (!prunedBySchedule) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await schedule.stop();
      isReading = false;
      await reading;

      expect(prunedBySchedule).toBe(true);
      const after = await inspect(uri);
      // A cycle already running when stop() is called still commits its compaction: one more.
      expect(after.versions.length).toBeLessThanOrEqual(3);
      expect(after.unindexedTextRows).toBe(0);
      const filesAfter = await dataFiles(uri);
      expect(filesAfter.length).toBeLessThan(filesBefore.length);
      expect(filesAfter.filter((file) => firstFiles.includes(file))).toEqual([]);
      expect(await textSearch(reader, "revision6")).toEqual(["revision6 paragraph0", "revision6 paragraph1"]);
      expect(await textSearch(reader, "revision0")).toEqual([]);
      expect(readerProblems).toEqual([]);
    } finally {
      await reader.close();
      await store.close();
    }
  });

  it("keeps the versions that were current within keepVersionsMs, so a reader still on one keeps reading it", async () => {
    const uri = await tableDirectory();
    const store = await LanceDbStore.create({ uri, dims });
    try {
      await writeRevision(store, 0);
      const { tableVersion: currentAtBoundary } = await writeRevision(store, 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const boundaryMs = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await writeRevision(store, 2);
      await writeRevision(store, 3);

      // A reader that opened the table while revision 1 was the newest, and has not looked since.
      const connection = await lancedb.connect(uri);
      const oldReader = await connection.openTable("chunks");
      await oldReader.checkout(currentAtBoundary);
      try {
        const outcome = await createOptimizeSchedule({
          db: database.db,
          store: async () => store,
          everyMs: 0,
          keepVersionsMs: Date.now() - boundaryMs,
          log: () => {},
        }).runOnce();
        expect(outcome?.versionsRemoved).toBeGreaterThan(0);

        const { versions } = await inspect(uri);
        expect(Math.min(...versions)).toBe(currentAtBoundary);
        const rows = await oldReader.query().select(["text"]).toArray();
        expect(rows.map((row) => row.text).sort()).toEqual(["revision1 paragraph0", "revision1 paragraph1"]);
      } finally {
        oldReader.close();
        connection.close();
      }
      expect(await textSearch(store, "revision3")).toEqual(["revision3 paragraph0", "revision3 paragraph1"]);
    } finally {
      await store.close();
    }
  });
});
