import type { Database } from "../db/client";
import { getVersionWithDocument, setCurrentVersion, updateVersion } from "../db/queries/documents";
import { holdsJobLease, type JobLease } from "../db/queries/ingest-jobs";
import { lockKeys, withWriterLock } from "../db/queries/locks";
import type { IngestJob } from "../db/schema";
import { appendAuditEvent } from "../lib/audit/append-audit-event";
import type { Embedder } from "../lib/embeddings/embedder";
import { AppError } from "../lib/errors";
import { queueGoldenRunAfterIndexChange } from "../lib/golden/queue-golden-run";
import type { BlobStore } from "../lib/storage/blob-store";
import type { DerivedStore } from "../lib/storage/derived-store";
import type { VectorStore } from "../lib/vector-store/vector-store";
import type { DocumentPages, ReadInput } from "./read/document-reader";
import { createChunker, type DraftChunk } from "./stages/chunk-pages";
import { embedChunks } from "./stages/embed-chunks";
import { indexChunks } from "./stages/index-chunks";

export interface PipelineDependencies {
  db: Database;
  blobs: BlobStore;
  derived: DerivedStore;
  store: VectorStore;
  embedder: Embedder;
  /** Reads a file page by page (PDF text layer, OCR, images, layout). */
  readDocument: (input: ReadInput) => Promise<DocumentPages>;
  /** The password an upload came with, while this process still holds it. */
  passwordFor?: (versionId: string) => string | undefined;
  /** Upper bound of a chunk in embedding tokens (also capped by the model's own input limit). */
  chunkMaxTokens: number;
}

export type IngestStage = "reading" | "indexing";
export type ProgressReporter = (stage: IngestStage, progress: number) => void;

/** Share of the job's progress bar reading (with chunking and embedding overlapped) takes. */
const readingShare = 0.95;
/**
 * Chunks per embedding call: several of the embedder's batches, so sorting them by length saves
 * padding, and still small enough to stream (the PDF children read ahead meanwhile).
 */
const embedWindow = 256;

export interface IngestOutcome {
  pageCount: number;
  chunkCount: number;
  /** LanceDB table version after the write; null when a newer version was already served. */
  tableVersion: number | null;
}

/**
 * read → chunk → embed, streamed page by page (the PDF children read ahead while pages are
 * embedded), then one index write for the version (one LanceDB commit), after which it is marked indexed
 * and `version.indexed` recorded in one transaction. Each stage is its own module; this function only
 * sequences them. Idempotent: running the same job again rewrites the same chunk ids (and records
 * a second `version.indexed`: it was indexed again).
 */
export async function runIngestJob(
  dependencies: PipelineDependencies,
  /** With the worker's lease, the result is recorded only while the lease is still held. */
  job: Pick<IngestJob, "versionId"> & { lease?: JobLease },
  report: ProgressReporter = () => {},
): Promise<IngestOutcome> {
  const { db, embedder } = dependencies;
  const found = await getVersionWithDocument({ db, versionId: job.versionId });
  if (!found)
    throw new AppError("not_found:version", {
      message: "The document version was deleted.",
    });
  const { version, document } = found;
  await updateVersion({
    db,
    versionId: version.id,
    changes: { status: "processing", errorCode: null, errorMessage: null },
  });

  report("reading", 0);
  await dependencies.derived.ensureDirectories(version.sha256);
  const password = dependencies.passwordFor?.(version.id);
  const read = await dependencies.readDocument({
    filePath: dependencies.blobs.pathOf(version.sha256),
    mediaType: version.mediaType,
    ...(password === undefined ? {} : { password }),
    figureDirectory: dependencies.derived.figureDirectoryOf(version.sha256),
  });
  const maxTokens = Math.min(dependencies.chunkMaxTokens, embedder.maxInputTokens);
  const chunker = createChunker((text) => embedder.countTokens(text), { maxTokens });
  const chunks: DraftChunk[] = [];
  const vectors: Float32Array[] = [];
  const embedPending = async () => {
    const batch = chunks.slice(vectors.length);
    if (batch.length > 0) vectors.push(...(await embedChunks(batch, embedder)));
  };
  let pagesRead = 0;
  for await (const page of read.pages) {
    chunks.push(...chunker.add(page));
    pagesRead++;
    if (chunks.length - vectors.length >= embedWindow) await embedPending();
    report("reading", (readingShare * pagesRead) / Math.max(1, read.pageCount));
  }
  await embedPending();
  if (chunks.length === 0) {
    throw new AppError("invalid:pdf_no_text", {
      message: "Folio found no text in this document, not even by reading its pages as images (OCR).",
    });
  }

  report("indexing", readingShare);
  // Under the single-writer lock, which deletions take too: a deletion cannot interleave, and an
  // older version finishing late never replaces a newer one that is already being served. The
  // LanceDB write runs outside any database transaction (PGlite has one connection, which every
  // API query needs meanwhile); the version's status and its `version.indexed` event then commit
  // together in one short transaction.
  const tableVersion = await withWriterLock(db, lockKeys.chunkTableWriter, async () => {
    const live = await getVersionWithDocument({ db, versionId: version.id });
    if (!live) {
      throw new AppError("not_found:version", {
        message: "The document was deleted while it was being indexed.",
      });
    }
    const servedId = live.document.currentVersionId;
    const served =
      servedId && servedId !== version.id
        ? await getVersionWithDocument({ db, versionId: servedId })
        : undefined;
    const isSuperseded = served !== undefined && served.version.createdAt > version.createdAt;
    const written = isSuperseded
      ? { tableVersion: null }
      : await indexChunks({
          store: dependencies.store,
          version: { collectionId: document.collectionId, documentId: document.id, versionId: version.id },
          embedderId: embedder.id,
          documentTitle: document.title,
          chunks,
          vectors,
        });
    await db.transaction(async (tx) => {
      // A worker whose lease ran out (another took the job over, or failed it) records nothing.
      if (job.lease && !(await holdsJobLease({ db: tx, lease: job.lease }))) {
        throw new AppError("conflict:job_lease", {
          message: "Another worker took this job over; this run records nothing.",
        });
      }
      await updateVersion({
        db: tx,
        versionId: version.id,
        changes: {
          status: "indexed",
          pageCount: read.pageCount,
          chunkCount: chunks.length,
          lanceVersion: written.tableVersion,
          embedderId: embedder.id,
          indexedAt: new Date(),
        },
      });
      if (!isSuperseded) {
        await setCurrentVersion({ db: tx, documentId: document.id, versionId: version.id });
        await queueGoldenRunAfterIndexChange(tx, document.collectionId);
      }
      await appendAuditEvent(tx, {
        actor: "system",
        action: "version.indexed",
        subject: `version:${version.id}`,
        payload: {
          versionId: version.id,
          documentId: document.id,
          collectionId: document.collectionId,
          pageCount: read.pageCount,
          chunkCount: chunks.length,
          embedderId: embedder.id,
          isServed: !isSuperseded,
        },
      });
    });
    return written.tableVersion;
  });
  report("indexing", 1);
  return { pageCount: read.pageCount, chunkCount: chunks.length, tableVersion };
}
