import type { Runtime } from "../lib/runtime";
import { type AcceptedUpload, acceptUpload, type UploadRequest } from "./accept-upload";
import type { PipelineDependencies } from "./pipeline";
import { createPdfExtractor } from "./stages/extract-pdf";
import { IngestWorker } from "./worker";

export interface IngestService {
  /** Stores the file and queues its job; the worker (if running here) is woken at once. */
  accept(request: UploadRequest): Promise<AcceptedUpload>;
  readonly worker: IngestWorker;
  pipelineDependencies(): Promise<PipelineDependencies>;
  close(): Promise<void>;
}

/** Wires the ingest pipeline to a runtime: the parser process, the worker, the upload entry. */
export function createIngestService(
  runtime: Runtime,
  options: { log?: (message: string) => void } = {},
): IngestService {
  const { config, blobs } = runtime;
  const { db } = runtime.database;
  const extractor = createPdfExtractor({
    timeoutMs: config.limits.parseTimeoutMs,
    maxMemoryMb: config.limits.parseMemoryMb,
    maxPages: config.limits.maxPdfPages,
  });
  const pipelineDependencies = async (): Promise<PipelineDependencies> => ({
    db,
    blobs,
    embedder: await runtime.embedder(),
    store: await runtime.store(),
    extractor,
    chunkMaxTokens: config.chunkMaxTokens,
  });
  const worker = new IngestWorker({
    db,
    pipelineDependencies,
    maxAttempts: config.ingestMaxAttempts,
    log: options.log,
  });
  return {
    accept: async (request) => {
      const accepted = await acceptUpload(
        { db, blobs, maxUploadBytes: config.limits.maxUploadBytes },
        request,
      );
      worker.wake();
      return accepted;
    },
    worker,
    pipelineDependencies,
    close: async () => {
      await worker.stop();
      await extractor.dispose();
    },
  };
}
