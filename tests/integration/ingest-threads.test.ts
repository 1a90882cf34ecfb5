import { availableParallelism } from "node:os";
import * as ort from "onnxruntime-node";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createCollection } from "../../db/queries/collections";
import { loadConfig } from "../../lib/config";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { bytesOf, createTestFolio, drainQueue, type TestFolio } from "../support/test-runtime";

/**
 * Issue 9 item 5: answering and ingest split the cores. The worker embeds with an ONNX session of
 * its own (INGEST_THREADS intra-op threads) while the answering side keeps MODEL_THREADS, so a
 * question's embedding never queues behind an ingest batch. A spy on the real
 * `InferenceSession.create` records each session's thread count (it still opens the session).
 */
let folio: TestFolio | undefined;

afterEach(async () => {
  vi.restoreAllMocks();
  await folio?.close();
  folio = undefined;
});

/** The intra-op thread counts of the ONNX sessions opened from now on, in order. */
function recordSessionThreads(): number[] {
  const threads: number[] = [];
  const create = ort.InferenceSession.create.bind(ort.InferenceSession);
  vi.spyOn(ort.InferenceSession, "create").mockImplementation(((...parameters: unknown[]) => {
    const options = parameters.find(
      (parameter): parameter is ort.InferenceSession.SessionOptions =>
        typeof parameter === "object" && parameter !== null && "executionProviders" in parameter,
    );
    threads.push(options?.intraOpNumThreads ?? Number.NaN);
    return (create as (...forwarded: unknown[]) => Promise<ort.InferenceSession>)(...parameters);
  }) as typeof ort.InferenceSession.create);
  return threads;
}

async function uploadOnePdf(target: TestFolio): Promise<void> {
  const { collection } = await createCollection({ db: target.database.db, name: "threads" });
  const bytes = buildTextPdf({
    pages: [["The ingest worker embeds this page with its own session of the embedding model."]],
  });
  await target.ingest.accept({
    collectionId: collection.id,
    fileName: "threads.pdf",
    body: bytesOf(bytes),
    declaredBytes: bytes.byteLength,
  });
}

describe("INGEST_THREADS", () => {
  it("defaults to half the cores, at least one, and refuses zero", () => {
    expect(loadConfig({}).ingestThreads).toBe(Math.max(1, Math.floor(availableParallelism() / 2)));
    expect(loadConfig({ INGEST_THREADS: "3" }).ingestThreads).toBe(3);
    expect(() => loadConfig({ INGEST_THREADS: "0" })).toThrow(/INGEST_THREADS/);
  });
});

describe("createFolio's embedders", () => {
  it("gives the worker its own session with INGEST_THREADS threads; answering keeps MODEL_THREADS", async () => {
    const threads = recordSessionThreads();
    // No yielding: the worker is handed its embedder itself (the yield wraps it; tested below).
    folio = await createTestFolio({
      environment: { MODEL_THREADS: "1", INGEST_THREADS: "2", INGEST_YIELD_MS: "0" },
    });
    const answering = await folio.embedder();
    const { embedder: ingesting } = await folio.ingest.pipelineDependencies();

    expect(ingesting).not.toBe(answering);
    expect(threads).toEqual([1, 2]);
    // The same model: a passage embedded by the worker is found by a question's vector.
    expect(ingesting.id).toBe(answering.id);
    const text = "quarterly revenue by segment";
    const [fromIngest] = await ingesting.embed([text], "document");
    const [fromAnswering] = await answering.embed([text], "document");
    expect(Array.from(fromIngest ?? [])).toEqual(Array.from(fromAnswering ?? []));

    const answeringEmbed = vi.spyOn(answering, "embed");
    const ingestingEmbed = vi.spyOn(ingesting, "embed");
    await uploadOnePdf(folio);
    await drainQueue(folio);
    expect(ingestingEmbed).toHaveBeenCalledWith(expect.any(Array), "document");
    expect(answeringEmbed).not.toHaveBeenCalled();
    // No third session: the worker's embedder is loaded once.
    expect(threads).toEqual([1, 2]);
  });

  it("keeps one embedder for both sides when INGEST_WORKER=off", async () => {
    const threads = recordSessionThreads();
    folio = await createTestFolio({
      environment: { INGEST_WORKER: "off", MODEL_THREADS: "1", INGEST_THREADS: "2", INGEST_YIELD_MS: "0" },
    });
    const answering = await folio.embedder();
    const { embedder: ingesting } = await folio.ingest.pipelineDependencies();

    expect(ingesting).toBe(answering);
    expect(threads).toEqual([1]);
  });
});

describe("INGEST_YIELD_MS", () => {
  const texts = Array.from({ length: 10 }, (_, index) => `passage ${index} about supplier contracts`);

  it("holds the worker's embedding while an answer is in progress, and resumes when it ends", async () => {
    folio = await createTestFolio({ environment: { INGEST_YIELD_MS: "60000" } });
    const { embedder: ingesting } = await folio.ingest.pipelineDependencies();
    const release = folio.answerQueue.admit();
    let isDone = false;
    const embedding = ingesting.embed(texts, "document").then((vectors) => {
      isDone = true;
      return vectors;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(isDone).toBe(false);
    release();
    const vectors = await embedding;
    // Same vectors, in the same order, as the answering side's embedder gives in one call.
    const expected = await (await folio.embedder()).embed(texts, "document");
    expect(vectors.map((vector) => Array.from(vector))).toEqual(expected.map((vector) => Array.from(vector)));
  });

  it("waits at most INGEST_YIELD_MS a batch, so ingest never starves", async () => {
    folio = await createTestFolio({ environment: { INGEST_YIELD_MS: "50" } });
    const { embedder: ingesting } = await folio.ingest.pipelineDependencies();
    const release = folio.answerQueue.admit();
    try {
      // Two batches, each after at most 50 ms of waiting, while the answer never ends.
      expect(await ingesting.embed(texts, "document")).toHaveLength(texts.length);
    } finally {
      release();
    }
  });
});
