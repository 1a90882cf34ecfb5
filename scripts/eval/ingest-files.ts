import { createCollection } from "../../db/queries/collections";
import type { JobResult } from "../../ingest/worker";
import { asAppError } from "../../lib/errors";
import type { Folio } from "../../lib/runtime";
import { createProgressBar } from "../../lib/terminal/progress-bar";
import { LanceDbStore } from "../../lib/vector-store/lancedb-store";

/** A file to ingest: its name (the document's title) and bytes, under a key of the caller's. */
export interface EvalFile {
  key: string;
  fileName: string;
  read(): Promise<Uint8Array>;
}

export interface IngestedFiles {
  /** Collection id by collection name. */
  collectionIds: Map<string, string>;
  /** Folio document id → the keys of the files that became it (identical files are one document). */
  keysByDocumentId: Map<string, string[]>;
  /** Keys of files that failed, with the reason. */
  failures: { key: string; reason: string }[];
  pages: number;
  chunks: number;
  seconds: number;
}

/** Files uploaded before the queue is drained: the pipeline's throughput without a big backlog in the job table. */
const uploadBatch = 500;

/**
 * Ingests `files` into a new collection through Folio's own entry points: the upload (checks,
 * blob store, queued job), then the ingest worker's jobs (read → chunk → embed → index), as many
 * at once as INGEST_CONCURRENCY, with a progress bar on stderr. After each batch the chunk table
 * is optimized as the worker's schedule would (compaction, rows added to the indexes).
 */
export async function ingestFiles(
  folio: Folio,
  input: {
    files: readonly EvalFile[];
    /** The collection (created if new) a file goes to. */
    collectionNameOf: (file: EvalFile) => string;
    title: string;
  },
): Promise<IngestedFiles> {
  const { db } = folio.database;
  const startedAt = performance.now();
  const collectionIds = new Map<string, string>();
  const collectionIdOf = async (file: EvalFile) => {
    const name = input.collectionNameOf(file);
    const known = collectionIds.get(name);
    if (known) return known;
    const { collection } = await createCollection({ db, name });
    collectionIds.set(name, collection.id);
    return collection.id;
  };
  const keysByDocumentId = new Map<string, string[]>();
  const keyByJobId = new Map<string, string>();
  const failures: { key: string; reason: string }[] = [];
  let pages = 0;
  let chunks = 0;
  let finished = 0;
  const bar = createProgressBar({ total: input.files.length, title: input.title });
  const record = (result: JobResult) => {
    const key = keyByJobId.get(result.jobId);
    if (key === undefined) return;
    if (result.state === "succeeded") {
      pages += result.outcome.pageCount;
      chunks += result.outcome.chunkCount;
    } else if (result.state === "failed") {
      failures.push({ key, reason: `${result.error.code}: ${result.error.message}` });
    } else return;
    keyByJobId.delete(result.jobId);
    finished += 1;
    bar.update(finished, key);
  };
  for (let start = 0; start < input.files.length; start += uploadBatch) {
    for (const file of input.files.slice(start, start + uploadBatch)) {
      try {
        const bytes = await file.read();
        const accepted = await folio.ingest.accept({
          actor: "eval",
          collectionId: await collectionIdOf(file),
          fileName: file.fileName,
          body: (async function* () {
            yield bytes;
          })(),
          declaredBytes: bytes.byteLength,
          onNameConflict: { kind: "keep_both" },
        });
        keysByDocumentId.set(accepted.documentId, [
          ...(keysByDocumentId.get(accepted.documentId) ?? []),
          file.key,
        ]);
        if (accepted.isDuplicate) {
          finished += 1;
          bar.update(finished, file.key);
        } else {
          keyByJobId.set(accepted.jobId, file.key);
        }
      } catch (error) {
        const appError = asAppError(error);
        failures.push({ key: file.key, reason: `${appError.code}: ${appError.message}` });
        finished += 1;
      }
    }
    await drainQueue(folio, record);
    const store = await folio.store();
    if (store instanceof LanceDbStore) await store.optimize({ keepVersionsMs: 0 });
  }
  bar.finish();
  for (const [jobId, key] of keyByJobId) failures.push({ key, reason: `job ${jobId} did not finish` });
  return {
    collectionIds,
    keysByDocumentId,
    failures,
    pages,
    chunks,
    seconds: (performance.now() - startedAt) / 1000,
  };
}

/** Runs queued jobs in this process, INGEST_CONCURRENCY at once, until none is runnable. */
async function drainQueue(folio: Folio, record: (result: JobResult) => void): Promise<void> {
  const drain = async () => {
    for (
      let result = await folio.ingest.worker.runOnce();
      result;
      result = await folio.ingest.worker.runOnce()
    ) {
      record(result);
    }
  };
  await Promise.all(Array.from({ length: folio.config.ingestConcurrency }, drain));
}
