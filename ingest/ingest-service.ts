import type { Database } from "../db/client";
import type { FolioConfig } from "../lib/config";
import type { Embedder } from "../lib/embeddings/embedder";
import type { BlobStore } from "../lib/storage/blob-store";
import type { DerivedStore } from "../lib/storage/derived-store";
import type { VectorStore } from "../lib/vector-store/vector-store";
import { type AcceptedUpload, acceptUpload, type UploadRequest } from "./accept-upload";
import { PasswordVault } from "./password-vault";
import type { PipelineDependencies } from "./pipeline";
import { createConfiguredDocumentReader, type DocumentReader } from "./read/create-document-reader";
import { unlockVersion } from "./unlock-version";
import { IngestWorker } from "./worker";

export interface IngestService {
  /** Stores the file and queues its job; the worker (if running here) is woken at once. */
  accept(request: UploadRequest): Promise<AcceptedUpload>;
  /** Runs a version that failed as password-protected again, with its password. */
  unlock(input: { documentId: string; versionId: string; password: string }): Promise<{ jobId: string }>;
  readonly worker: IngestWorker;
  /** Reads files page by page; also renders PDF pages for previews. */
  readonly reader: DocumentReader;
  pipelineDependencies(): Promise<PipelineDependencies>;
  close(): Promise<void>;
}

export interface IngestServiceParts {
  config: FolioConfig;
  db: Database;
  blobs: BlobStore;
  derived: DerivedStore;
  /** Resolves when the embedding model and its store are loaded and agree; rejects meanwhile. */
  embeddingParts: () => Promise<{ embedder: Embedder; store: VectorStore }>;
  log?: (message: string) => void;
}

/** The ingest side of Folio, from parts the composition root (lib/runtime.ts) built. */
export function createIngestService(parts: IngestServiceParts): IngestService {
  const { config, db, blobs } = parts;
  const reader = createConfiguredDocumentReader(config);
  const passwords = new PasswordVault();
  const pipelineDependencies = async (): Promise<PipelineDependencies> => ({
    db,
    blobs,
    derived: parts.derived,
    ...(await parts.embeddingParts()),
    readDocument: (input) => reader.read(input),
    passwordFor: (versionId) => passwords.passwordFor(versionId),
    chunkMaxTokens: config.chunkMaxTokens,
  });
  const worker = new IngestWorker({
    db,
    pipelineDependencies,
    maxAttempts: config.ingestMaxAttempts,
    concurrency: config.ingestConcurrency,
    log: parts.log,
  });
  return {
    accept: async (request) => {
      const accepted = await acceptUpload(
        {
          db,
          blobs,
          maxUploadBytes: config.limits.maxUploadBytes,
          collectionQuotaBytes: config.limits.collectionQuotaBytes,
          minFreeDiskBytes: config.limits.minFreeDiskBytes,
          holdPassword: (versionId, password) => passwords.hold(versionId, password),
        },
        request,
      );
      worker.wake();
      return accepted;
    },
    unlock: async (input) => {
      const unlocked = await unlockVersion(
        { db, holdPassword: (id, password) => passwords.hold(id, password) },
        input,
      );
      worker.wake();
      return unlocked;
    },
    worker,
    reader,
    pipelineDependencies,
    close: async () => {
      await worker.stop();
      await reader.dispose();
    },
  };
}
