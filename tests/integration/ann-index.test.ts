import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "../../db/client";
import { LanceDbStore } from "../../lib/vector-store/lancedb-store";
import { createOptimizeSchedule } from "../../lib/vector-store/optimize-schedule";
import type { ChunkWithVector, SearchMode } from "../../lib/vector-store/vector-store";
import { openTestDatabase } from "../support/test-database";

/**
 * The automatic vector index (lib/vector-store/ann-index.ts) on a small table: 8 dimensions and a
 * few partitions, so that searching a single partition (nprobes 1) would miss rows of a narrow
 * collection that lie far from the query.
 */
const dims = 8;
const directories: string[] = [];
let database: DatabaseHandle;
let uri: string;
let store: LanceDbStore;
const log: string[] = [];

const uuid = (name: string) => {
  const hex = createHash("sha256").update(name).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};
const bigCollection = uuid("big collection");
/** Narrow collections of 1…12 chunks, all on the far side of the space from the query. */
const narrowCollections = Array.from({ length: 12 }, (_, index) => ({
  id: uuid(`narrow ${index}`),
  size: index + 1,
}));

let seed = 42;
function random(): number {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
}
/** A unit vector around `centre`, spread enough to fill several IVF partitions. */
function vectorNear(centre: number): Float32Array {
  const vector = Float32Array.from(
    { length: dims },
    (_, index) => (index === 0 ? centre : 0) + random() - 0.5,
  );
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}
const query = vectorNear(2);

let documentCount = 0;
async function writeDocument(collectionId: string, size: number, centre: number): Promise<void> {
  const documentId = uuid(`document ${documentCount}`);
  const versionId = uuid(`version ${documentCount}`);
  documentCount += 1;
  const chunks = Array.from(
    { length: size },
    (_, index): ChunkWithVector => ({
      id: createHash("sha256").update(`${versionId}/${index}`).digest("hex").slice(0, 32),
      collectionId,
      documentId,
      versionId,
      chunkIndex: index,
      pageNumber: 1,
      pageLabel: null,
      box: null,
      kind: "text",
      text: `passage ${index} about harbour cranes`,
      source: "text_layer",
      confidence: null,
      headingPath: [],
      figureFile: null,
      contentHash: String(index),
      embedderId: "test",
      vector: vectorNear(centre),
    }),
  );
  await store.replaceDocumentChunks({ documentId, versionId, chunks });
}

async function writeBigRows(rows: number): Promise<void> {
  for (let written = 0; written < rows; written += 2500)
    await writeDocument(bigCollection, Math.min(2500, rows - written), 2);
}

const schedule = (everyMs = 0) =>
  createOptimizeSchedule({
    db: database.db,
    store: async () => store,
    everyMs,
    keepVersionsMs: 0,
    log: (message) => log.push(message),
  });

async function vectorIndexes() {
  const connection = await lancedb.connect(uri);
  const table = await connection.openTable("chunks");
  try {
    const indices = await table.listIndices();
    return await Promise.all(
      indices
        .filter((index) => index.columns.includes("vector"))
        .map(async (index) => ({ name: index.name, ...(await table.indexStats(index.name)) })),
    );
  } finally {
    table.close();
    connection.close();
  }
}

async function search(collectionIds: string[], mode: SearchMode) {
  return store.search({ collectionIds, queryText: "harbour cranes", queryVector: query, limit: 10, mode });
}

beforeAll(async () => {
  database = await openTestDatabase();
  uri = await mkdtemp(path.join(tmpdir(), "folio-ann-"));
  directories.push(uri);
  store = await LanceDbStore.create({
    uri,
    dims,
    ann: {
      index: { indexType: "ivf_pq", minRows: 12_000, retrainGrowthFactor: 2 },
      search: { nprobes: 1, refineFactor: 2, ef: 0 },
    },
  });
  for (const collection of narrowCollections) await writeDocument(collection.id, collection.size, -2);
  await writeBigRows(10_000);
});

afterAll(async () => {
  await store?.close();
  await database?.close();
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});

describe("the automatic vector index of the chunk table", () => {
  it("is built by the scheduled optimize once the table passes minRows, with a collection index", async () => {
    const before = await schedule().runOnce();
    expect(before?.searchIndexes).toEqual([{ kind: "collection_index_built" }]);
    expect(await vectorIndexes()).toEqual([]);

    await writeBigRows(10_000);
    const rows = await store.countChunks();
    const running = schedule(50);
    running.start();
    const deadline = Date.now() + 15_000;
    while (!log.some((line) => line.includes("vector index")) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await running.stop();
    expect(log).toContainEqual(
      expect.stringMatching(
        new RegExp(`^\\[lancedb\\] built the ivf_pq vector index on ${rows} chunks in [\\d.]+ s$`),
      ),
    );
    const [index, ...others] = await vectorIndexes();
    expect(others).toEqual([]);
    expect(index).toMatchObject({ name: `vector_ivf_pq_${rows}`, indexType: "IVF_PQ", numUnindexedRows: 0 });
  });

  it.each(["vector", "hybrid"] as const)(
    "keeps the collection filter exact in %s search: only the collection's chunks, and all of them up to the limit",
    async (mode) => {
      for (const collection of narrowCollections) {
        const hits = await search([collection.id], mode);
        expect(hits.length, `collection of ${collection.size}`).toBe(Math.min(10, collection.size));
        expect(new Set(hits.map((hit) => hit.chunk.collectionId))).toEqual(new Set([collection.id]));
      }
      const pair = [narrowCollections[0], narrowCollections[2]].map((collection) => collection?.id ?? "");
      const hits = await search(pair, mode);
      expect(hits).toHaveLength(4);
      expect(hits.every((hit) => pair.includes(hit.chunk.collectionId))).toBe(true);
      expect(await search([bigCollection], mode)).toHaveLength(10);
    },
  );

  it("adds new rows to the index, and retrains it once the table has grown retrainGrowthFactor times", async () => {
    const [trained] = await vectorIndexes();
    const trainedRows = Number(trained?.name.split("_").at(-1));

    await writeBigRows(5_000);
    expect((await vectorIndexes())[0]?.numUnindexedRows).toBe(5_000);
    expect((await schedule().runOnce())?.searchIndexes).toEqual([]);
    expect(await vectorIndexes()).toEqual([
      expect.objectContaining({
        name: trained?.name,
        numIndexedRows: trainedRows + 5_000,
        numUnindexedRows: 0,
      }),
    ]);

    await writeBigRows(2 * trainedRows - (await store.countChunks()));
    const rows = await store.countChunks();
    expect(rows).toBe(2 * trainedRows);
    const outcome = await schedule().runOnce();
    expect(outcome?.searchIndexes).toEqual([
      expect.objectContaining({ kind: "vector_index_retrained", indexType: "ivf_pq", trainedRows: rows }),
    ]);
    expect(await vectorIndexes()).toEqual([
      expect.objectContaining({ name: `vector_ivf_pq_${rows}`, numIndexedRows: rows, numUnindexedRows: 0 }),
    ]);
    expect(await search([narrowCollections[11]?.id ?? ""], "vector")).toHaveLength(10);
  });

  it("leaves a vector index built by hand alone", async () => {
    await store.close();
    const connection = await lancedb.connect(uri);
    const table = await connection.openTable("chunks");
    try {
      const [ours] = await vectorIndexes();
      await table.dropIndex(ours?.name ?? "");
      await table.createIndex("vector", {
        name: "hand_made",
        config: lancedb.Index.ivfFlat({ distanceType: "cosine", numPartitions: 2 }),
      });
    } finally {
      table.close();
      connection.close();
    }
    store = await LanceDbStore.create({
      uri,
      dims,
      ann: { index: { indexType: "ivf_pq", minRows: 12_000, retrainGrowthFactor: 2 } },
    });
    // Past minRows with no index of Folio's: without the rule, Folio would build its own.
    expect((await schedule().runOnce())?.searchIndexes).toEqual([]);
    expect((await vectorIndexes()).map((index) => index.name)).toEqual(["hand_made"]);
  });
});

describe("an HNSW vector index", () => {
  it("serves searches for more rows than its ef, re-ranked (ef is raised to limit × refineFactor)", async () => {
    const hnswUri = await mkdtemp(path.join(tmpdir(), "folio-ann-hnsw-"));
    directories.push(hnswUri);
    const hnsw = await LanceDbStore.create({
      uri: hnswUri,
      dims,
      ann: {
        index: { indexType: "ivf_hnsw_sq", minRows: 1000, retrainGrowthFactor: 2 },
        search: { nprobes: 20, refineFactor: 2, ef: 16 },
      },
    });
    try {
      const previous = store;
      store = hnsw;
      await writeDocument(bigCollection, 2000, 2);
      store = previous;
      expect((await hnsw.optimize({ keepVersionsMs: 0 })).searchIndexes).toContainEqual(
        expect.objectContaining({ kind: "vector_index_built", indexType: "ivf_hnsw_sq", trainedRows: 2000 }),
      );
      for (const mode of ["vector", "hybrid"] as const) {
        const hits = await hnsw.search({
          collectionIds: [bigCollection],
          queryText: "harbour cranes",
          queryVector: query,
          limit: 50,
          mode,
        });
        expect(hits).toHaveLength(50);
      }
    } finally {
      await hnsw.close();
    }
  });
});
