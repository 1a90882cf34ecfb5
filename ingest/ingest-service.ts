import { setTimeout as sleep } from "node:timers/promises";
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
  /** Answers being prepared or generated in this process (the answer queue's count). @default none */
  answersInProgress?: () => number;
  log?: (message: string) => void;
}

/** The ingest side of Folio, from parts the composition root (lib/runtime.ts) built. */
export function createIngestService(parts: IngestServiceParts): IngestService {
  const { config, db, blobs } = parts;
  const reader = createConfiguredDocumentReader(config);
  const passwords = new PasswordVault();
  const pipelineDependencies = async (): Promise<PipelineDependencies> => {
    const { embedder, store } = await parts.embeddingParts();
    return {
      db,
      blobs,
      derived: parts.derived,
      store,
      embedder: parts.answersInProgress
        ? yieldingToAnswers(embedder, {
            answersInProgress: parts.answersInProgress,
            maxWaitMs: config.ingestYieldMs,
          })
        : embedder,
      readDocument: (input) => reader.read(input),
      passwordFor: (versionId) => passwords.passwordFor(versionId),
      chunkMaxTokens: config.chunkMaxTokens,
    };
  };
  const worker = new IngestWorker({
    db,
    pipelineDependencies,
    maxAttempts: config.ingestMaxAttempts,
    concurrency: config.ingestConcurrency,
    leaseMs: config.ingestLeaseSeconds * 1000,
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
      await worker.stop({ deadlineMs: config.shutdownDeadlineSeconds * 1000 });
      await reader.dispose();
    },
  };
}

/**
 * Texts the worker embeds between two looks at the answers in progress. Small, because
 * onnxruntime-node 1.30 runs a session on the JavaScript thread (`run()` only defers the blocking
 * call: microsoft/onnxruntime#19611): while a batch runs, no answer in this process advances.
 */
const yieldBatchSize = 4;
const yieldPollMs = 20;

/**
 * The worker's embedder, stepping aside for answers: before each batch it waits while an answer
 * is in progress in this process, at most `maxWaitMs` a batch — the asker gets the cores first,
 * and ingest still advances at least one batch per `maxWaitMs`, so it never starves. 0: no waiting.
 */
export function yieldingToAnswers(
  embedder: Embedder,
  options: { answersInProgress: () => number; maxWaitMs: number },
): Embedder {
  const { answersInProgress, maxWaitMs } = options;
  if (maxWaitMs <= 0) return embedder;
  const waitForAnswers = async () => {
    const deadline = performance.now() + maxWaitMs;
    while (answersInProgress() > 0 && performance.now() < deadline) await sleep(yieldPollMs);
  };
  return {
    id: embedder.id,
    dims: embedder.dims,
    maxInputTokens: embedder.maxInputTokens,
    countTokens: (text) => embedder.countTokens(text),
    dispose: () => embedder.dispose(),
    embed: async (texts, kind) => {
      // By length, so each batch pads as little as the embedder's own sort would make it.
      const order = texts
        .map((_, index) => index)
        .sort((a, b) => (texts[a]?.length ?? 0) - (texts[b]?.length ?? 0));
      const vectors = new Array<Float32Array>(texts.length);
      for (let start = 0; start < order.length; start += yieldBatchSize) {
        await waitForAnswers();
        const batch = order.slice(start, start + yieldBatchSize);
        const batchVectors = await embedder.embed(
          batch.map((index) => texts[index] ?? ""),
          kind,
        );
        batch.forEach((index, position) => {
          const vector = batchVectors[position];
          if (vector) vectors[index] = vector;
        });
      }
      return vectors;
    },
  };
}
