import type { Database } from "../../db/client";
import { deleteCollectionRow } from "../../db/queries/collections";
import { deleteDocumentRows, findUnreferencedBlobs, getDocumentById } from "../../db/queries/documents";
import { lockLegalHolds } from "../../db/queries/legal-holds";
import { lockKeys, withAdvisoryLock, withWriterLock } from "../../db/queries/locks";
import { eraseAnswerSources } from "../../db/queries/retention";
import { appendAuditEvent } from "../audit/append-audit-event";
import { AppError } from "../errors";
import { queueGoldenRunAfterIndexChange } from "../golden/queue-golden-run";
import { refuseIfHeld } from "../retention/legal-holds";
import type { BlobStore } from "../storage/blob-store";
import type { DerivedStore } from "../storage/derived-store";
import type { VectorStore } from "../vector-store/vector-store";

export interface DeletionDependencies {
  db: Database;
  store: Pick<VectorStore, "deleteDocument" | "deleteCollection">;
  blobs: BlobStore;
  derived: DerivedStore;
}

export interface DeletionResult {
  documentCount: number;
  versionCount: number;
  /** Originals removed from disk, with their previews and figures (bytes another live version shares are kept). */
  removedBlobCount: number;
  /** With `erase`: passages kept with answers whose text was erased. */
  erasedPassages?: number;
}

export interface DeletionInput {
  actor: string;
  target: { documentId: string } | { collectionId: string };
  /**
   * Also remove the content from the answers that used it: the passages kept with those answers
   * lose their text (their hashes stay). Without it they keep the text — the record of what the
   * model read. @default false
   */
  erase?: boolean;
  /** Why, when not a person's request: recorded in the event (`retention`). */
  reason?: "retention";
}

/**
 * Deletes a document — every version, its index rows and its stored originals — or a whole
 * collection. Under the index writer and blob locks, in one transaction with its audit event (which
 * keeps the deleted versions' sha256): gone from retrieval the moment it commits, and an index
 * write in flight cannot bring it back. A collection under legal hold refuses (conflict).
 * Authorization is the caller's (curate or admin).
 */
export async function deleteDocuments(
  dependencies: DeletionDependencies,
  input: DeletionInput,
): Promise<DeletionResult> {
  const { db, store } = dependencies;
  const { target } = input;
  // The index writer lock first (no index write or optimize runs meanwhile), then the blob lock
  // in the transaction: an upload deciding on a new version of these documents (or a new
  // document in this collection) commits first and is deleted with them, or comes after and
  // finds them gone — never a version that cascades away unaudited with its bytes left behind.
  // The chunks are deleted (and erased from disk) inside the transaction, so a failure there
  // leaves the rows too; deletions are rare, so holding it that long is accepted.
  const { rows: deleted, erasedPassages } = await withWriterLock(db, lockKeys.chunkTableWriter, () =>
    withAdvisoryLock(db, lockKeys.blobReferences, async (tx) => {
      const collectionId =
        "collectionId" in target
          ? target.collectionId
          : (await getDocumentById({ db: tx, id: target.documentId }))?.collectionId;
      if (collectionId) await refuseIfHeld(tx, collectionId);
      const rows = await deleteDocumentRows({ db: tx, where: target });
      const isCollection = "collectionId" in target;
      // A hold placed meanwhile is either seen by the erasure or waits for it.
      if (input.erase) await lockLegalHolds({ tx });
      const erasedPassages = input.erase
        ? await eraseAnswerSources({
            db: tx,
            documentIds: rows.map((row) => row.document.id),
            ...(isCollection ? { collectionId: target.collectionId } : {}),
          })
        : 0;
      if ("documentId" in target) {
        if (rows.length === 0) throw new AppError("not_found:document", { message: "No such document." });
        await store.deleteDocument(target.documentId);
        const deletedFrom = rows[0]?.document.collectionId;
        if (deletedFrom) await queueGoldenRunAfterIndexChange(tx, deletedFrom);
      } else {
        const collection = await deleteCollectionRow({ db: tx, id: target.collectionId });
        if (!collection) throw new AppError("not_found:collection", { message: "No such collection." });
        await store.deleteCollection(target.collectionId);
      }
      await appendAuditEvent(tx, {
        actor: input.actor,
        action: isCollection ? "collection.delete" : "document.delete",
        subject: isCollection ? `collection:${target.collectionId}` : `document:${target.documentId}`,
        payload: {
          documents: rows.map(({ document, versions }) => ({
            documentId: document.id,
            collectionId: document.collectionId,
            title: document.title,
            versions,
          })),
          ...(input.erase ? { erase: true, erasedPassages } : {}),
          ...(input.reason ? { reason: input.reason } : {}),
        },
      });
      return { rows, erasedPassages };
    }),
  );
  const sha256s = deleted.flatMap((row) => row.versions.map((version) => version.sha256));
  const removedBlobCount = await removeUnreferencedBlobs(dependencies, sha256s);
  return {
    documentCount: deleted.length,
    versionCount: sha256s.length,
    removedBlobCount,
    ...(input.erase ? { erasedPassages } : {}),
  };
}

/**
 * Under the lock uploads take to commit a blob, so a new upload of the same bytes keeps them.
 * Derived files (page previews, figure crops) are keyed by the blob and go with it.
 */
async function removeUnreferencedBlobs(
  { db, blobs, derived }: DeletionDependencies,
  sha256s: string[],
): Promise<number> {
  return withAdvisoryLock(db, lockKeys.blobReferences, async (tx) => {
    const unreferenced = await findUnreferencedBlobs({ db: tx, sha256s });
    for (const sha256 of unreferenced) {
      await blobs.remove(sha256);
      await derived.remove(sha256);
    }
    return unreferenced.length;
  });
}
