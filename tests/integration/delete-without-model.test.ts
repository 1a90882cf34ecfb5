import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { createCollection } from "../../db/queries/collections";
import { loadConfig } from "../../lib/config";
import { deleteDocuments } from "../../lib/documents/delete-documents";
import { createFolio } from "../../lib/runtime";
import type { LanceDbStore } from "../../lib/vector-store/lancedb-store";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { createFreshPostgresDatabase } from "../support/test-database";
import { buildTestModels, testModelEnvironment } from "../support/test-models";
import { bytesOf, drainQueue } from "../support/test-runtime";

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

it("deletes a document's index rows when the embedding model is gone, and names the mismatch of a swapped model", async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), "folio-delete-without-model-"));
  const database = await createFreshPostgresDatabase();
  cleanups.push(async () => {
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });
  const models = await buildTestModels(path.join(dataDir, "models"));
  const environment = {
    DATA_DIR: dataDir,
    DATABASE_URL: database?.url,
    ...testModelEnvironment(models, path.join(dataDir, "models")),
  };

  const indexing = await createFolio(loadConfig(environment), { log: () => {} });
  const { collection } = await createCollection({ db: indexing.database.db, name: "kept-apart" });
  const data = buildTextPdf({ pages: [["The archive room opens at nine."]] });
  const accepted = await indexing.ingest.accept({
    collectionId: collection.id,
    fileName: "a.pdf",
    body: bytesOf(data),
  });
  await drainQueue(indexing);
  await indexing.close();

  const withoutModel = await createFolio(
    loadConfig({ ...environment, EMBEDDING_MODEL: path.join(dataDir, "gone") }),
    {
      log: () => {},
    },
  );
  try {
    await expect(withoutModel.embeddingParts()).rejects.toMatchObject({
      code: "unavailable:embedder_missing",
    });
    const store = (await withoutModel.store()) as LanceDbStore;
    expect(await store.countChunks({ documentId: accepted.documentId })).toBe(1);
    const result = await deleteDocuments(
      { db: withoutModel.database.db, store, blobs: withoutModel.blobs, derived: withoutModel.derived },
      { actor: "tester", target: { documentId: accepted.documentId } },
    );
    expect(result).toMatchObject({ documentCount: 1, removedBlobCount: 1 });
    expect(await store.countChunks({ documentId: accepted.documentId })).toBe(0);
  } finally {
    await withoutModel.close();
  }

  const { writeTinyEmbeddingModel } = await import("../fixtures/builders/tiny-embedding-model");
  const wider = await writeTinyEmbeddingModel(path.join(dataDir, "wider"), {
    dims: 96,
    variant: "token",
    maxSequenceLength: 256,
  });
  const swapped = await createFolio(loadConfig({ ...environment, EMBEDDING_MODEL: wider.directory }), {
    log: () => {},
  });
  try {
    await expect(swapped.embeddingParts()).rejects.toMatchObject({
      code: "unavailable:embedding_dims_mismatch",
      message: expect.stringContaining("EMBEDDING_MODEL"),
    });
  } finally {
    await swapped.close();
  }
});
