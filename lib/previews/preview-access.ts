import { stat } from "node:fs/promises";
import type { Executor } from "../../db/client";
import { getVersionWithDocument } from "../../db/queries/documents";
import type { DocumentRow, DocumentVersion } from "../../db/schema";
import { readableCollectionIds, requireDocument } from "../access/collection-access";
import type { Actor } from "../domain/actor";
import { AppError } from "../errors";
import { servableDocuments } from "../retrieval/retrieve-context";
import type { Folio } from "../runtime";
import { type DerivedStore, isFigureFileName, type PreviewSize } from "../storage/derived-store";
import type { VectorStore } from "../vector-store/vector-store";
import { type PageContent, pageLabels, previewPage } from "./preview-page";

/**
 * The version whose pages a reader may see: the document's current one, or an older version of
 * the same document when asked by id. A document the caller cannot read, a version of another
 * document and a version not yet indexed all look absent (404).
 */
export async function requirePreviewVersion(
  db: Executor,
  actor: Actor,
  request: { documentId: string; versionId?: string },
): Promise<{ document: DocumentRow; version: DocumentVersion }> {
  const document = await requireDocument(db, actor, { documentId: request.documentId, permission: "read" });
  const versionId = request.versionId ?? document.currentVersionId;
  const found = versionId ? await getVersionWithDocument({ db, versionId }) : undefined;
  if (!found || found.document.id !== document.id || found.version.pageCount === null) {
    throw new AppError("not_found:version", { message: "No such version of this document." });
  }
  return { document, version: found.version };
}

/**
 * The crop image of a figure passage the caller may read (the same check as opening the passage:
 * a readable collection and the version its document serves). Any other passage, or a figure
 * whose file is gone, is 404.
 */
export async function requireFigureFile(
  dependencies: { db: Executor; store: VectorStore; derived: DerivedStore },
  actor: Actor,
  chunkId: string,
): Promise<string> {
  const { db, store, derived } = dependencies;
  const collectionIds = await readableCollectionIds(db, actor);
  const [chunk] = await store.getChunks({ collectionIds, chunkIds: [chunkId] });
  const isServable = chunk ? (await servableDocuments(db, collectionIds, [chunk])).has(chunk.id) : false;
  const found =
    chunk && isServable ? await getVersionWithDocument({ db, versionId: chunk.versionId }) : undefined;
  const figureFile = chunk?.kind === "figure" ? chunk.figureFile : null;
  if (!found || !figureFile || !isFigureFileName(figureFile)) {
    throw new AppError("not_found:chunk", { message: "No such figure." });
  }
  const filePath = derived.pathOf(found.version.sha256, { kind: "figure", name: figureFile });
  if (!(await stat(filePath).catch(() => null))) {
    throw new AppError("not_found:chunk", { message: "No such figure." });
  }
  return filePath;
}

/**
 * One page of a document the caller may read, rendered (or read) if needed: the access check and
 * the render in one call, for the routes that serve the page and its geometry or text.
 */
export async function readablePagePreview(
  folio: Pick<Folio, "database" | "blobs" | "derived" | "ingest" | "config">,
  actor: Actor,
  request: { documentId: string; pageNumber: number; versionId?: string; size: PreviewSize },
): Promise<{ document: DocumentRow; version: DocumentVersion; content: PageContent }> {
  const { document, version } = await requirePreviewVersion(folio.database.db, actor, {
    documentId: request.documentId,
    ...(request.versionId === undefined ? {} : { versionId: request.versionId }),
  });
  const content = await previewPage(folio, { version, pageNumber: request.pageNumber, size: request.size });
  return { document, version, content };
}

/** The pages of a version the caller may read, each with its label (null where it has none). */
export async function readablePageLabels(
  folio: Pick<Folio, "database" | "blobs" | "derived" | "ingest">,
  actor: Actor,
  request: { documentId: string; versionId?: string },
): Promise<{ version: DocumentVersion; pages: { pageNumber: number; label: string | null }[] }> {
  const { version } = await requirePreviewVersion(folio.database.db, actor, request);
  const labels = await pageLabels(folio, version);
  return { version, pages: labels.map((label, index) => ({ pageNumber: index + 1, label })) };
}
