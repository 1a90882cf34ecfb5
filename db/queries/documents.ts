import { and, desc, eq, inArray } from "drizzle-orm";
import type { Executor } from "../client";
import {
  type DocumentRow,
  type DocumentVersion,
  documents,
  documentVersions,
  type IngestJob,
  ingestJobs,
} from "../schema";

export interface VersionWithDocument {
  version: DocumentVersion;
  document: DocumentRow;
}

export interface CreatedVersion extends VersionWithDocument {
  job: IngestJob;
  isNew: boolean;
}

/** The version of these exact bytes in a collection, whatever the document is called. */
export async function findVersionBySha256({
  db,
  collectionId,
  sha256,
}: {
  db: Executor;
  collectionId: string;
  sha256: string;
}): Promise<(VersionWithDocument & { job: IngestJob }) | undefined> {
  const [row] = await db
    .select({ version: documentVersions, document: documents, job: ingestJobs })
    .from(documentVersions)
    .innerJoin(documents, eq(documents.id, documentVersions.documentId))
    .innerJoin(ingestJobs, eq(ingestJobs.versionId, documentVersions.id))
    .where(and(eq(documents.collectionId, collectionId), eq(documentVersions.sha256, sha256)))
    .limit(1);
  return row;
}

export async function findDocumentsByTitle({
  db,
  collectionId,
  titles,
}: {
  db: Executor;
  collectionId: string;
  titles: readonly string[];
}): Promise<DocumentRow[]> {
  if (titles.length === 0) return [];
  return db
    .select()
    .from(documents)
    .where(and(eq(documents.collectionId, collectionId), inArray(documents.title, [...titles])));
}

export interface NewVersionInput {
  sha256: string;
  byteSize: number;
  mediaType: string;
  originalFilename: string;
}

/** A new document with its first version and a queued job. */
export async function insertDocumentWithVersion({
  tx,
  collectionId,
  title,
  version,
}: {
  tx: Executor;
  collectionId: string;
  title: string;
  version: NewVersionInput;
}): Promise<CreatedVersion> {
  const [document] = await tx.insert(documents).values({ collectionId, title }).returning();
  if (!document) throw new Error("document insert returned nothing");
  return insertVersionWithJob({ tx, document, version });
}

/**
 * A new version of an existing document and its queued job; the same bytes twice in one
 * document meet at the unique (document, sha256) index and return the existing rows.
 */
export async function insertVersionWithJob({
  tx,
  document,
  version,
}: {
  tx: Executor;
  document: DocumentRow;
  version: NewVersionInput;
}): Promise<CreatedVersion> {
  const [inserted] = await tx
    .insert(documentVersions)
    .values({ documentId: document.id, ...version })
    .onConflictDoNothing()
    .returning();
  if (!inserted) {
    const [existing] = await tx
      .select({ version: documentVersions, job: ingestJobs })
      .from(documentVersions)
      .innerJoin(ingestJobs, eq(ingestJobs.versionId, documentVersions.id))
      .where(and(eq(documentVersions.documentId, document.id), eq(documentVersions.sha256, version.sha256)));
    if (!existing) throw new Error("version row missing after conflicting insert");
    return { document, ...existing, isNew: false };
  }
  const [job] = await tx.insert(ingestJobs).values({ versionId: inserted.id }).returning();
  if (!job) throw new Error("job insert returned nothing");
  return { document, version: inserted, job, isNew: true };
}

export async function getDocumentById({
  db,
  id,
}: {
  db: Executor;
  id: string;
}): Promise<DocumentRow | undefined> {
  const [row] = await db.select().from(documents).where(eq(documents.id, id));
  return row;
}

export async function getVersionWithDocument({
  db,
  versionId,
}: {
  db: Executor;
  versionId: string;
}): Promise<VersionWithDocument | undefined> {
  const [row] = await db
    .select({ version: documentVersions, document: documents })
    .from(documentVersions)
    .innerJoin(documents, eq(documents.id, documentVersions.documentId))
    .where(eq(documentVersions.id, versionId));
  return row;
}

export async function updateVersion({
  db,
  versionId,
  changes,
}: {
  db: Executor;
  versionId: string;
  changes: Partial<
    Pick<
      DocumentVersion,
      | "status"
      | "pageCount"
      | "chunkCount"
      | "lanceVersion"
      | "embedderId"
      | "errorCode"
      | "errorMessage"
      | "indexedAt"
    >
  >;
}): Promise<void> {
  await db.update(documentVersions).set(changes).where(eq(documentVersions.id, versionId));
}

/** Makes `versionId` the version retrieval serves for its document. */
export async function setCurrentVersion({
  db,
  documentId,
  versionId,
}: {
  db: Executor;
  documentId: string;
  versionId: string;
}): Promise<void> {
  await db.update(documents).set({ currentVersionId: versionId }).where(eq(documents.id, documentId));
}

export interface DocumentListing {
  document: DocumentRow;
  version: DocumentVersion;
}

/** Every version of the documents in these collections, newest first. */
export async function listDocumentVersions({
  db,
  collectionIds,
}: {
  db: Executor;
  collectionIds: readonly string[];
}): Promise<DocumentListing[]> {
  if (collectionIds.length === 0) return [];
  return db
    .select({ document: documents, version: documentVersions })
    .from(documentVersions)
    .innerJoin(documents, eq(documents.id, documentVersions.documentId))
    .where(inArray(documents.collectionId, [...collectionIds]))
    .orderBy(desc(documentVersions.createdAt));
}

export async function getDocumentsByIds({
  db,
  ids,
}: {
  db: Executor;
  ids: readonly string[];
}): Promise<DocumentRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(documents)
    .where(inArray(documents.id, [...new Set(ids)]));
}

/** Deletes documents (their versions and jobs cascade) and returns what was deleted. */
export async function deleteDocumentRows({
  db,
  where,
}: {
  db: Executor;
  where: { documentId: string } | { collectionId: string };
}): Promise<Array<{ document: DocumentRow; versions: Array<{ versionId: string; sha256: string }> }>> {
  const condition =
    "documentId" in where
      ? eq(documents.id, where.documentId)
      : eq(documents.collectionId, where.collectionId);
  const rows = await db
    .select({ document: documents, versionId: documentVersions.id, sha256: documentVersions.sha256 })
    .from(documents)
    .leftJoin(documentVersions, eq(documentVersions.documentId, documents.id))
    .where(condition);
  await db.delete(documents).where(condition);
  const byDocument = new Map<
    string,
    { document: DocumentRow; versions: Array<{ versionId: string; sha256: string }> }
  >();
  for (const row of rows) {
    const entry = byDocument.get(row.document.id) ?? { document: row.document, versions: [] };
    if (row.versionId && row.sha256) entry.versions.push({ versionId: row.versionId, sha256: row.sha256 });
    byDocument.set(row.document.id, entry);
  }
  return [...byDocument.values()];
}

/** The given blobs that no version (of any collection) refers to any more. */
export async function findUnreferencedBlobs({
  db,
  sha256s,
}: {
  db: Executor;
  sha256s: readonly string[];
}): Promise<string[]> {
  if (sha256s.length === 0) return [];
  const referenced = await db
    .selectDistinct({ sha256: documentVersions.sha256 })
    .from(documentVersions)
    .where(inArray(documentVersions.sha256, [...new Set(sha256s)]));
  const stillUsed = new Set(referenced.map((row) => row.sha256));
  return [...new Set(sha256s)].filter((sha256) => !stillUsed.has(sha256));
}
