import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createCollection } from "../../db/queries/collections";
import { createIngestService, type IngestService } from "../../ingest/ingest-service";
import type { JobResult } from "../../ingest/worker";
import { loadConfig } from "../../lib/config";
import { createRuntime, type Runtime } from "../../lib/runtime";
import { buildTestModels, type TestModels, testModelEnvironment } from "../../tests/support/test-models";
import type { CorpusPdf } from "./corpus";

export interface BenchFolio {
  runtime: Runtime;
  ingest: IngestService;
  models: TestModels;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * The test models' environment, except MODEL_THREADS: the product default (the machine's core
 * count) rather than the tests' 1, unless MODEL_THREADS is set in the shell running the bench.
 */
export function createBenchModelEnvironment(models: TestModels, modelsDir: string): Record<string, string> {
  const { MODEL_THREADS: _testThreads, ...environment } = testModelEnvironment(models, modelsDir);
  const shellThreads = process.env.MODEL_THREADS;
  return shellThreads ? { ...environment, MODEL_THREADS: shellThreads } : environment;
}

/**
 * A complete Folio in a fresh temp DATA_DIR: embedded PGlite, LanceDB, the tiny test ONNX embedder
 * and the scripted test GGUF, configured through the product's own `loadConfig`. The environment
 * is explicit (not this process's), so a DATABASE_URL in the shell cannot switch the backend.
 */
export async function createBenchFolio(): Promise<BenchFolio> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "folio-bench-"));
  const modelsDir = path.join(dataDir, "models");
  const models = await buildTestModels(modelsDir);
  const config = loadConfig({
    DATA_DIR: dataDir,
    AUTO_PULL_MODELS: "false",
    ...createBenchModelEnvironment(models, modelsDir),
  });
  const runtime = await createRuntime(config);
  const ingest = createIngestService(runtime, { log: () => {} });
  return {
    runtime,
    ingest,
    models,
    dataDir,
    close: async () => {
      await ingest.close();
      await runtime.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Everything done once per process before the first document: embedder and vector store loaded,
 * the pdf.js child started and warmed on `warmUpFile` (its result is discarded, nothing is stored).
 */
export async function warmUpIngest(folio: BenchFolio, warmUpFile: string): Promise<void> {
  const dependencies = await folio.ingest.pipelineDependencies();
  await dependencies.embedder.embed(["warm up the embedding session"], "document");
  await dependencies.extractor.extract(warmUpFile);
}

export async function createBenchCollection(folio: BenchFolio, name: string): Promise<string> {
  const { collection } = await createCollection({ db: folio.runtime.database.db, name });
  return collection.id;
}

/**
 * Uploads through the product's upload entry (size and type checks, blob store, queued job).
 * Returns the file name of each queued job, by job id.
 */
export async function uploadFiles(
  folio: BenchFolio,
  collectionId: string,
  files: readonly CorpusPdf[],
): Promise<Map<string, string>> {
  const fileNamesByJobId = new Map<string, string>();
  for (const file of files) {
    const bytes = new Uint8Array(await readFile(file.filePath));
    const accepted = await folio.ingest.accept({
      collectionId,
      fileName: path.basename(file.filePath),
      body: yieldOnce(bytes),
      declaredBytes: bytes.byteLength,
    });
    fileNamesByJobId.set(accepted.jobId, file.name);
  }
  return fileNamesByJobId;
}

/** Runs queued jobs in this process until none is runnable; returns every job's result. */
export async function drainQueue(folio: BenchFolio): Promise<JobResult[]> {
  const results: JobResult[] = [];
  for (
    let result = await folio.ingest.worker.runOnce();
    result;
    result = await folio.ingest.worker.runOnce()
  ) {
    results.push(result);
  }
  return results;
}

/**
 * Peak resident memory (VmHWM) of the pdf.js child in MB, read from /proc while it still runs;
 * null off Linux or when no child is running.
 */
export async function readParserChildPeakRssMb(folio: BenchFolio): Promise<number | null> {
  const { extractor } = await folio.ingest.pipelineDependencies();
  const processId = "childProcessId" in extractor ? extractor.childProcessId : null;
  if (typeof processId !== "number") return null;
  const status = await readFile(`/proc/${processId}/status`, "utf8").catch(() => "");
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  return match?.[1] ? Number(match[1]) / 1024 : null;
}

async function* yieldOnce(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}
