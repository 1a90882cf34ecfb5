import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCollection } from "../../db/queries/collections";
import { getVersionWithDocument } from "../../db/queries/documents";
import { getJobById } from "../../db/queries/ingest-jobs";
import { IngestWorker } from "../../ingest/worker";
import { AppError } from "../../lib/errors";
import type { VectorStore } from "../../lib/vector-store/vector-store";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { bytesOf, createTestFolio, type TestFolio } from "../support/test-runtime";

/** A real store whose next `failures` writes fail as a disk or network fault would. */
function faultyStore(inner: VectorStore, state: { failures: number }): VectorStore {
  return {
    get dims() {
      return inner.dims;
    },
    replaceDocumentChunks: async (input) => {
      if (state.failures > 0) {
        state.failures -= 1;
        throw new Error("injected: EIO while writing the chunk table");
      }
      return inner.replaceDocumentChunks(input);
    },
    search: (request) => inner.search(request),
    getChunks: (input) => inner.getChunks(input),
    deleteDocument: (documentId) => inner.deleteDocument(documentId),
    deleteCollection: (collectionId) => inner.deleteCollection(collectionId),
    close: () => inner.close(),
  };
}

let folio: TestFolio;
let worker: IngestWorker;
const faults = { failures: 0 };
let collectionId: string;

beforeAll(async () => {
  folio = await createTestFolio({ environment: { INGEST_MAX_ATTEMPTS: "3" } });
  worker = new IngestWorker({
    db: folio.database.db,
    pipelineDependencies: async () => ({
      ...(await folio.ingest.pipelineDependencies()),
      store: faultyStore(await folio.store(), faults),
    }),
    maxAttempts: 3,
    retryBaseDelayMs: 5,
    log: () => {},
  });
  collectionId = (await createCollection({ db: folio.database.db, name: "worker" })).collection.id;
});
afterAll(async () => folio?.close());

const upload = (name: string, text: string) =>
  folio.ingest.accept({ collectionId, fileName: name, body: bytesOf(buildTextPdf({ pages: [[text]] })) });

async function runUntilSettled(jobId: string) {
  for (let round = 0; round < 50; round += 1) {
    await worker.runOnce();
    const job = await getJobById({ db: folio.database.db, id: jobId });
    if (job?.state === "succeeded" || job?.state === "failed") return job;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("job never settled");
}

describe("IngestWorker", () => {
  it("retries a transient fault and then indexes the document once", async () => {
    faults.failures = 1;
    const accepted = await upload("flaky.pdf", "A transient fault must not lose this document.");
    const job = await runUntilSettled(accepted.jobId);
    expect(job).toMatchObject({ state: "succeeded", attempts: 2 });
    const found = await getVersionWithDocument({
      db: folio.database.db,
      versionId: accepted.versionId,
    });
    expect(found?.version.status).toBe("indexed");
  });

  it("fails a job for good after the last attempt, with the reason recorded", async () => {
    faults.failures = 10;
    const accepted = await upload("doomed.pdf", "The disk keeps failing for this one.");
    const job = await runUntilSettled(accepted.jobId);
    faults.failures = 0;
    expect(job).toMatchObject({ state: "failed", attempts: 3, errorCode: "internal:unexpected" });
    const found = await getVersionWithDocument({
      db: folio.database.db,
      versionId: accepted.versionId,
    });
    expect(found?.version).toMatchObject({ status: "failed", errorCode: "internal:unexpected" });
  });

  it("waits, claiming nothing, while a model is missing", async () => {
    const accepted = await upload("patient.pdf", "This waits for the embedding model.");
    const waiting = new IngestWorker({
      db: folio.database.db,
      pipelineDependencies: async () => {
        throw new AppError("unavailable:embedder_missing", {
          message: "no model",
        });
      },
      maxAttempts: 3,
      log: () => {},
    });
    await expect(waiting.runOnce()).rejects.toMatchObject({ code: "unavailable:embedder_missing" });
    expect(await getJobById({ db: folio.database.db, id: accepted.jobId })).toMatchObject({
      state: "queued",
      attempts: 0,
    });
    await runUntilSettled(accepted.jobId);
  });

  it("runs `concurrency` jobs at once when started, and each indexes", async () => {
    const reading = { now: 0, most: 0 };
    let releaseReads!: () => void;
    const bothStarted = new Promise<void>((resolve) => {
      releaseReads = resolve;
    });
    const concurrent = new IngestWorker({
      db: folio.database.db,
      pipelineDependencies: async () => {
        const dependencies = await folio.ingest.pipelineDependencies();
        return {
          ...dependencies,
          // Each read waits until two are in progress: only two jobs at once can get past it.
          readDocument: async (input) => {
            reading.now += 1;
            reading.most = Math.max(reading.most, reading.now);
            if (reading.now >= 2) releaseReads();
            await bothStarted;
            try {
              return await dependencies.readDocument(input);
            } finally {
              reading.now -= 1;
            }
          },
        };
      },
      maxAttempts: 3,
      concurrency: 2,
      pollIntervalMs: 20,
      log: () => {},
    });
    const first = await upload("together-1.pdf", "The first of two documents read at once.");
    const second = await upload("together-2.pdf", "The second of two documents read at once.");
    concurrent.start();
    try {
      const oneAtATime = new Promise((_, reject) =>
        setTimeout(() => reject(new Error("the second job never started beside the first")), 15_000).unref(),
      );
      await Promise.race([bothStarted, oneAtATime]);
      for (const jobId of [first.jobId, second.jobId]) {
        for (let round = 0; round < 200; round += 1) {
          const job = await getJobById({ db: folio.database.db, id: jobId });
          if (job?.state === "succeeded") break;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        expect(await getJobById({ db: folio.database.db, id: jobId })).toMatchObject({ state: "succeeded" });
      }
    } finally {
      releaseReads();
      await concurrent.stop();
    }
    expect(reading.most).toBe(2);
  });
});
