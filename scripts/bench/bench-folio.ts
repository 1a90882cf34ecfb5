import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import { createCollection } from "../../db/queries/collections";
import type { JobResult } from "../../ingest/worker";
import { type TestModels, testModelEnvironment } from "../../tests/support/test-models";
import { bytesOf, createTestFolio, type TestFolio } from "../../tests/support/test-runtime";
import type { CorpusPdf } from "./corpus";

export type BenchFolio = TestFolio;

/**
 * The product default for MODEL_THREADS (the machine's core count) rather than the tests' 1,
 * unless MODEL_THREADS is set in the shell running the bench.
 */
function benchThreads(): string {
  return process.env.MODEL_THREADS ?? String(availableParallelism());
}

/** The test models' environment with the bench's thread count. */
export function createBenchModelEnvironment(models: TestModels, modelsDir: string): Record<string, string> {
  return { ...testModelEnvironment(models, modelsDir), MODEL_THREADS: benchThreads() };
}

/**
 * A complete Folio in a fresh temp DATA_DIR — embedded PGlite (whatever DATABASE_URL the shell
 * has), LanceDB, the tiny test ONNX embedder and the scripted test GGUF — composed like the tests'.
 */
export function createBenchFolio(environment: Record<string, string> = {}): Promise<BenchFolio> {
  return createTestFolio({
    environment: { MODEL_THREADS: benchThreads(), ...environment },
    usePostgres: false,
  });
}

/**
 * Everything done once per process before the first document: embedder and vector store loaded,
 * the pdf.js child started and warmed on `warmUpFile` (its result is discarded, nothing is stored).
 */
export async function warmUpIngest(folio: BenchFolio, warmUpFile: string): Promise<void> {
  const dependencies = await folio.ingest.pipelineDependencies();
  await dependencies.embedder.embed(["warm up the embedding session"], "document");
  const read = await folio.ingest.reader.read({
    filePath: warmUpFile,
    mediaType: "application/pdf",
    figureDirectory: null,
  });
  for await (const _page of read.pages);
}

export async function createBenchCollection(folio: BenchFolio, name: string): Promise<string> {
  const { collection } = await createCollection({ db: folio.database.db, name });
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
      body: bytesOf(bytes),
      declaredBytes: bytes.byteLength,
    });
    fileNamesByJobId.set(accepted.jobId, file.name);
  }
  return fileNamesByJobId;
}

/**
 * Runs queued jobs in this process until none is runnable, as many at once as the worker would
 * (INGEST_CONCURRENCY); returns every job's result.
 */
export async function drainQueue(folio: BenchFolio): Promise<JobResult[]> {
  const results: JobResult[] = [];
  const drain = async () => {
    for (
      let result = await folio.ingest.worker.runOnce();
      result;
      result = await folio.ingest.worker.runOnce()
    ) {
      results.push(result);
    }
  };
  await Promise.all(Array.from({ length: folio.config.ingestConcurrency }, drain));
  return results;
}

/**
 * Peak resident memory (VmHWM) of the largest pdf.js child in MB, read from /proc while they
 * still run; null off Linux or when no child is running.
 */
export async function readParserChildPeakRssMb(folio: BenchFolio): Promise<number | null> {
  const peaks = await Promise.all(
    folio.ingest.reader.parserProcessIds.map(async (processId) => {
      const status = await readFile(`/proc/${processId}/status`, "utf8").catch(() => "");
      const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
      return match?.[1] ? Number(match[1]) / 1024 : 0;
    }),
  );
  return peaks.length === 0 ? null : Math.max(...peaks);
}
