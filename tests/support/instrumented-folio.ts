import { readdir } from "node:fs/promises";
import path from "node:path";
import { count } from "drizzle-orm";
import type { Database } from "../../db/client";
import { collectionGrants, documents, documentVersions, ingestJobs } from "../../db/schema";
import type { NameConflictChoice } from "../../ingest/accept-upload";
import { OnnxEmbedder } from "../../lib/embeddings/onnx-embedder";
import { retrieveContext } from "../../lib/retrieval/retrieve-context";
import { LanceDbStore } from "../../lib/vector-store/lancedb-store";
import { createGate, type Gate, gatedEmbedder, gatedStore } from "./gated-parts";
import { bytesOf, createTestFolio, type TestFolio } from "./test-runtime";

export interface InstrumentedFolio {
  folio: TestFolio;
  /** Holds an ingest job after extract, before embedding (no lock held). */
  embedGate: Gate;
  /** Holds an ingest job inside the index stage, while it holds the chunk-table writer lock. */
  indexGate: Gate;
  /** The real LanceDB store behind the gate, for counting rows. */
  store: LanceDbStore;
}

/** A test Folio on real parts whose ingest can be held at two points (see `Gate`). */
export async function createInstrumentedFolio(): Promise<InstrumentedFolio> {
  const embedGate = createGate();
  const indexGate = createGate();
  let store: LanceDbStore | undefined;
  const folio = await createTestFolio({
    overrides: async (models) => {
      const embedder = await OnnxEmbedder.create({ modelDir: models.embedderDir, threads: 1 });
      // models live in <dataDir>/models/…: keep the chunk table inside the test's data dir too.
      const dataDir = path.dirname(path.dirname(models.embedderDir));
      store = await LanceDbStore.create({ uri: path.join(dataDir, "lance"), dims: embedder.dims });
      return { embedder: gatedEmbedder(embedder, embedGate), store: gatedStore(store, indexGate) };
    },
  });
  if (!store) throw new Error("the store override was not built");
  return { folio, embedGate, indexGate, store };
}

export function uploadTo(folio: TestFolio, collectionId: string) {
  return (fileName: string, data: Uint8Array, onNameConflict?: NameConflictChoice) =>
    folio.ingest.accept({
      collectionId,
      fileName,
      body: bytesOf(data),
      declaredBytes: data.byteLength,
      onNameConflict,
    });
}

/** sha256 of every original at its content address. */
export async function storedBlobs(folio: TestFolio): Promise<string[]> {
  const root = path.join(folio.dataDir, "blobs");
  const shards = (await readdir(root).catch(() => [])).filter((name) => name !== ".incoming");
  const names = await Promise.all(shards.map((shard) => readdir(path.join(root, shard))));
  return names.flat().sort();
}

/** Files still in the staging directory (an upload that left something behind). */
export async function stagedBlobs(folio: TestFolio): Promise<string[]> {
  return readdir(path.join(folio.dataDir, "blobs", ".incoming")).catch(() => []);
}

export async function countRows(db: Database) {
  const countOf = async (
    table: typeof documents | typeof documentVersions | typeof ingestJobs | typeof collectionGrants,
  ) => (await db.select({ n: count() }).from(table))[0]?.n ?? 0;
  return {
    documents: await countOf(documents),
    versions: await countOf(documentVersions),
    jobs: await countOf(ingestJobs),
    grants: await countOf(collectionGrants),
  };
}

/** sha256 of every original some document version still refers to. */
export async function referencedBlobs(db: Database): Promise<string[]> {
  const rows = await db.selectDistinct({ sha256: documentVersions.sha256 }).from(documentVersions);
  return rows.map((row) => row.sha256).sort();
}

/** The texts retrieval serves for `question` in these collections, right now. */
export async function servedTexts(
  folio: TestFolio,
  collectionIds: string[],
  question: string,
): Promise<Array<{ documentId: string; versionId: string; text: string }>> {
  const passages = await retrieveContext(
    { db: folio.database.db, store: await folio.store(), embedder: await folio.embedder() },
    { question, collectionIds, limit: 50 },
  );
  return passages.map(({ documentId, versionId, text }) => ({ documentId, versionId, text }));
}
