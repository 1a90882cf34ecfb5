import type { Database } from "../db/client";
import { getVersionWithDocument, setCurrentVersion, updateVersion } from "../db/queries/documents";
import { lockKeys, withAdvisoryLock } from "../db/queries/locks";
import type { IngestJob } from "../db/schema";
import type { Embedder } from "../lib/embeddings/embedder";
import { AppError } from "../lib/errors";
import type { BlobStore } from "../lib/storage/blob-store";
import type { VectorStore } from "../lib/vector-store/vector-store";
import { chunkPages } from "./stages/chunk-pages";
import { embedChunks } from "./stages/embed-chunks";
import { indexChunks } from "./stages/index-chunks";
import type { ExtractedDocument } from "./types";

export interface DocumentExtractor {
  extract(
    filePath: string,
    onProgress?: (pagesDone: number, pageCount: number) => void,
  ): Promise<ExtractedDocument>;
}

export interface PipelineDependencies {
  db: Database;
  blobs: BlobStore;
  store: VectorStore;
  embedder: Embedder;
  extractor: DocumentExtractor;
  /** Upper bound of a chunk in embedding tokens (also capped by the model's own input limit). */
  chunkMaxTokens: number;
}

export type IngestStage = "extract" | "chunk" | "embed" | "index";
export type ProgressReporter = (stage: IngestStage, progress: number) => void;

/** Share of the job's progress bar each stage ends at. */
const stageEnds: Record<IngestStage, number> = { extract: 0.45, chunk: 0.5, embed: 0.9, index: 1 };
const stageStarts: Record<IngestStage, number> = { extract: 0, chunk: 0.45, embed: 0.5, index: 0.9 };

function within(stage: IngestStage, fraction: number): number {
  return stageStarts[stage] + (stageEnds[stage] - stageStarts[stage]) * Math.min(1, Math.max(0, fraction));
}

export interface IngestOutcome {
  pageCount: number;
  chunkCount: number;
  /** LanceDB table version after the write; null when a newer version was already served. */
  tableVersion: number | null;
}

/**
 * extract → chunk → embed → index for one document version; marks the version indexed. Each
 * stage is its own module; this function only sequences them. Idempotent: running the same job
 * again rewrites the same chunk ids.
 */
export async function runIngestJob(
  dependencies: PipelineDependencies,
  job: Pick<IngestJob, "versionId">,
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

  report("extract", 0);
  const extracted = await dependencies.extractor.extract(
    dependencies.blobs.pathOf(version.sha256),
    (done, total) => report("extract", within("extract", done / Math.max(1, total))),
  );

  report("chunk", within("chunk", 0));
  const maxTokens = Math.min(dependencies.chunkMaxTokens, embedder.maxInputTokens);
  const chunks = chunkPages(extracted.pages, (text) => embedder.countTokens(text), { maxTokens });
  if (chunks.length === 0) {
    throw new AppError("invalid:pdf_no_text", {
      message:
        "This PDF has no extractable text (it may be a scan or only images). OCR is not supported yet.",
    });
  }

  report("embed", within("embed", 0));
  const vectors = await embedChunks(chunks, embedder, (done, total) =>
    report("embed", within("embed", done / total)),
  );

  report("index", within("index", 0));
  // Under the single-writer lock, and in one transaction with the version's status: a deletion
  // (which takes the same lock) cannot interleave, and an older version finishing late never
  // replaces a newer one that is already being served.
  const { tableVersion } = await withAdvisoryLock(db, lockKeys.chunkTableWriter, async (tx) => {
    const live = await getVersionWithDocument({ db: tx, versionId: version.id });
    if (!live) {
      throw new AppError("not_found:version", {
        message: "The document was deleted while it was being indexed.",
      });
    }
    const servedId = live.document.currentVersionId;
    const served =
      servedId && servedId !== version.id
        ? await getVersionWithDocument({ db: tx, versionId: servedId })
        : undefined;
    const isSuperseded = served !== undefined && served.version.createdAt > version.createdAt;
    const written = isSuperseded
      ? { tableVersion: null }
      : await indexChunks({
          store: dependencies.store,
          version: { collectionId: document.collectionId, documentId: document.id, versionId: version.id },
          embedderId: embedder.id,
          chunks,
          vectors,
        });
    await updateVersion({
      db: tx,
      versionId: version.id,
      changes: {
        status: "indexed",
        pageCount: extracted.pageCount,
        chunkCount: chunks.length,
        lanceVersion: written.tableVersion,
        embedderId: embedder.id,
        indexedAt: new Date(),
      },
    });
    if (!isSuperseded) await setCurrentVersion({ db: tx, documentId: document.id, versionId: version.id });
    return written;
  });
  report("index", 1);
  return { pageCount: extracted.pageCount, chunkCount: chunks.length, tableVersion };
}
