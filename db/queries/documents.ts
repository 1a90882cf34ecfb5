import { and, desc, eq, inArray } from "drizzle-orm";
import type { Database } from "../client";
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

/** The version of these exact bytes in a collection, whatever the document is called. */
export async function findVersionBySha256({
  db,
  collectionId,
  sha256,
}: {
  db: Database;
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

export interface NewVersionInput {
  collectionId: string;
  title: string;
  sha256: string;
  byteSize: number;
  mediaType: string;
  originalFilename: string;
}

/**
 * Creates (or finds) the document by title, adds the version and queues its job, in one
 * transaction. Concurrent uploads of the same bytes meet at the unique (document, sha256) index:
 * the loser gets the winner's rows back.
 */
export async function createVersionWithJob({
  db,
  input,
}: {
  db: Database;
  input: NewVersionInput;
}): Promise<{ document: DocumentRow; version: DocumentVersion; job: IngestJob; isNew: boolean }> {
  return db.transaction(async (tx) => {
    await tx
      .insert(documents)
      .values({ collectionId: input.collectionId, title: input.title })
      .onConflictDoNothing();
    const [document] = await tx
      .select()
      .from(documents)
      .where(and(eq(documents.collectionId, input.collectionId), eq(documents.title, input.title)));
    if (!document) throw new Error("document row missing after insert");
    const [version] = await tx
      .insert(documentVersions)
      .values({
        documentId: document.id,
        sha256: input.sha256,
        byteSize: input.byteSize,
        mediaType: input.mediaType,
        originalFilename: input.originalFilename,
      })
      .onConflictDoNothing()
      .returning();
    if (!version) {
      const [existing] = await tx
        .select({ version: documentVersions, job: ingestJobs })
        .from(documentVersions)
        .innerJoin(ingestJobs, eq(ingestJobs.versionId, documentVersions.id))
        .where(and(eq(documentVersions.documentId, document.id), eq(documentVersions.sha256, input.sha256)));
      if (!existing) throw new Error("version row missing after conflicting insert");
      return { document, ...existing, isNew: false };
    }
    const [job] = await tx.insert(ingestJobs).values({ versionId: version.id }).returning();
    if (!job) throw new Error("job insert returned nothing");
    return { document, version, job, isNew: true };
  });
}

export async function getVersionWithDocument({
  db,
  versionId,
}: {
  db: Database;
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
  db: Database;
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

export interface DocumentListing {
  document: DocumentRow;
  version: DocumentVersion;
}

/** Every version of the documents in these collections, newest first. */
export async function listDocumentVersions({
  db,
  collectionIds,
}: {
  db: Database;
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
  db: Database;
  ids: readonly string[];
}): Promise<DocumentRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(documents)
    .where(inArray(documents.id, [...new Set(ids)]));
}
