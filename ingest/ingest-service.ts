import type { Database } from "../db/client";
import type { FolioConfig } from "../lib/config";
import type { Embedder } from "../lib/embeddings/embedder";
import type { BlobStore } from "../lib/storage/blob-store";
import type { VectorStore } from "../lib/vector-store/vector-store";
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

export interface IngestServiceParts {
  config: FolioConfig;
  db: Database;
  blobs: BlobStore;
  /** Resolves when the embedding model and its store are loaded and agree; rejects meanwhile. */
  embeddingParts: () => Promise<{ embedder: Embedder; store: VectorStore }>;
  log?: (message: string) => void;
}

/** The ingest side of Folio, from parts the composition root (lib/runtime.ts) built. */
export function createIngestService(parts: IngestServiceParts): IngestService {
  const { config, db, blobs } = parts;
  const extractor = createPdfExtractor({
    timeoutMs: config.limits.parseTimeoutMs,
    maxMemoryMb: config.limits.parseMemoryMb,
    maxPages: config.limits.maxPdfPages,
  });
  const pipelineDependencies = async (): Promise<PipelineDependencies> => ({
    db,
    blobs,
    ...(await parts.embeddingParts()),
    extractor,
    chunkMaxTokens: config.chunkMaxTokens,
  });
  const worker = new IngestWorker({
    db,
    pipelineDependencies,
    maxAttempts: config.ingestMaxAttempts,
    log: parts.log,
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
