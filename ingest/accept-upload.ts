import type { Database, Executor } from "../db/client";
import { getCollectionStoredBytes } from "../db/queries/collection-usage";
import { getCollectionById } from "../db/queries/collections";
import {
  type CreatedVersion,
  findDocumentsByTitle,
  findVersionBySha256,
  getDocumentById,
  insertDocumentWithVersion,
  insertVersionWithJob,
} from "../db/queries/documents";
import { lockKeys, withAdvisoryLock } from "../db/queries/locks";
import { appendAuditEvent } from "../lib/audit/append-audit-event";
import { AppError } from "../lib/errors";
import { type BlobStore, storageFull } from "../lib/storage/blob-store";
import { sanitizeFileName } from "./sanitize-file-name";
import { detectMediaType } from "./stages/detect-media-type";
import { isWaitingForPassword, retryWithPassword } from "./unlock-version";

export interface UploadDependencies {
  db: Database;
  blobs: BlobStore;
  maxUploadBytes: number;
  /**
   * Bytes of originals one collection may hold (COLLECTION_QUOTA_BYTES); 0 = no limit.
   * @default 0
   */
  collectionQuotaBytes?: number;
  /**
   * Free bytes an upload must leave on the blobs' filesystem (MIN_FREE_DISK_BYTES), so the
   * database and the index never run out first; 0 = no check.
   * @default 0
   */
  minFreeDiskBytes?: number;
  /**
   * Keeps an upload's password (in memory only) for the job about to be queued; called before
   * the job becomes visible to any worker.
   */
  holdPassword?: (versionId: string, password: string) => void;
}

/**
 * What becomes of an upload whose name is already taken in the collection: nothing is replaced
 * silently — without a choice the upload is refused with 409 naming the existing document.
 */
export type NameConflictChoice =
  | { kind: "ask" }
  /** A new version of this document (which must be in the same collection). */
  | { kind: "replace"; documentId: string }
  /** A separate document; its title gets a number, e.g. `scan (2).pdf`. */
  | { kind: "keep_both" };

export interface UploadRequest {
  /**
   * Who uploads, for the audit event: a user id, or `cli`.
   * @default "system"
   */
  actor?: string;
  collectionId: string;
  fileName: string;
  body: AsyncIterable<Uint8Array>;
  /** Content-Length when the client sent one: lets an oversized upload be refused unread. */
  declaredBytes?: number;
  /** @default { kind: "ask" } */
  onNameConflict?: NameConflictChoice;
  /** The password of an encrypted PDF: never stored, logged or put in a message. */
  password?: string;
}

export interface AcceptedUpload {
  documentId: string;
  versionId: string;
  jobId: string;
  title: string;
  sha256: string;
  /** These exact bytes were already in the collection: nothing new was created. */
  isDuplicate: boolean;
}

/**
 * Step 1 of ingest: size and type checks, the original stored under its sha256, and a durable
 * job queued — all before any parsing. The same bytes twice in a collection make one version.
 * A new document is recorded as `document.upload`, a new version of one as `version.create`, in
 * the transaction that creates it (the same bytes again record nothing: nothing changed).
 */
export async function acceptUpload(
  dependencies: UploadDependencies,
  request: UploadRequest,
): Promise<AcceptedUpload> {
  const { db, blobs, maxUploadBytes, collectionQuotaBytes = 0, minFreeDiskBytes = 0 } = dependencies;
  const choice = request.onNameConflict ?? { kind: "ask" };
  const title = sanitizeFileName(request.fileName);
  if (!(await getCollectionById({ db, id: request.collectionId }))) {
    throw new AppError("not_found:collection", { message: "No such collection." });
  }
  if (request.declaredBytes !== undefined && request.declaredBytes > maxUploadBytes) {
    throw new AppError("too_large:upload", {
      message: `The file is larger than the ${Math.floor(maxUploadBytes / 1_048_576)} MB limit.`,
      details: { maxBytes: maxUploadBytes },
    });
  }
  await requireFreeDisk(blobs, minFreeDiskBytes, request.declaredBytes ?? 0);
  // What the collection has room for, read before any byte: a declared size over it is refused
  // unread, a chunked body is cut where it passes. The exact check is repeated under the lock.
  const roomBytes =
    collectionQuotaBytes > 0
      ? collectionQuotaBytes - (await getCollectionStoredBytes({ db, collectionId: request.collectionId }))
      : Number.POSITIVE_INFINITY;
  const quotaError = (usedBytes: number) =>
    overQuota({ usedBytes, quotaBytes: collectionQuotaBytes, fileBytes: request.declaredBytes });
  if (request.declaredBytes !== undefined && request.declaredBytes > roomBytes) {
    throw quotaError(collectionQuotaBytes - roomBytes);
  }
  // The bytes decide the type; the declared name only tells Markdown from text, .docx from a zip.
  const detect = (head: Uint8Array) => detectMediaType(head, { fileName: title });
  const staged = await blobs
    .stage(request.body, { maxBytes: Math.min(maxUploadBytes, roomBytes), validate: detect })
    .catch((error: unknown) => {
      const isOverRoom = roomBytes < maxUploadBytes && (error as AppError).code === "too_large:upload";
      throw isOverRoom ? quotaError(collectionQuotaBytes - roomBytes) : error;
    });
  try {
    // The file is on the disk now: if it ate into the reserve, it is not kept.
    await requireFreeDisk(blobs, minFreeDiskBytes, 0);
    const version = {
      sha256: staged.sha256,
      byteSize: staged.byteSize,
      mediaType: detect(staged.head),
      originalFilename: title,
    };
    const decide = async (
      tx: Executor,
    ): Promise<CreatedVersion & { isNew: boolean; isRetried?: boolean }> => {
      if (!(await getCollectionById({ db: tx, id: request.collectionId }))) {
        throw new AppError("not_found:collection", { message: "The collection was deleted." });
      }
      const duplicate = await findVersionBySha256({
        db: tx,
        collectionId: request.collectionId,
        sha256: staged.sha256,
      });
      if (!duplicate && collectionQuotaBytes > 0) {
        const usedBytes = await getCollectionStoredBytes({ db: tx, collectionId: request.collectionId });
        if (usedBytes + staged.byteSize > collectionQuotaBytes) throw quotaError(usedBytes);
      }
      if (duplicate) {
        // The same encrypted bytes again, now with a password: read them again.
        const { holdPassword } = dependencies;
        if (request.password !== undefined && holdPassword && isWaitingForPassword(duplicate.version)) {
          const job = await retryWithPassword(tx, {
            versionId: duplicate.version.id,
            password: request.password,
            holdPassword,
          });
          return { ...duplicate, job, isNew: false, isRetried: true };
        }
        return { ...duplicate, isNew: false };
      }
      if (choice.kind === "replace") {
        const document = await getDocumentById({ db: tx, id: choice.documentId });
        if (!document || document.collectionId !== request.collectionId) {
          throw new AppError("not_found:document", {
            message: "The document to replace is not in this collection.",
          });
        }
        const created = await insertVersionWithJob({ tx, document, version });
        if (created.isNew) await recordUpload(tx, request.actor, "version.create", created);
        return created;
      }
      if (choice.kind === "ask") await refuseNameConflict(tx, request.collectionId, title);
      const uniqueTitle =
        choice.kind === "keep_both" ? await freeTitle(tx, request.collectionId, title) : title;
      const created = await insertDocumentWithVersion({
        tx,
        collectionId: request.collectionId,
        title: uniqueTitle,
        version,
      });
      await recordUpload(tx, request.actor, "document.upload", created);
      return created;
    };
    // One upload decision at a time: concurrent uploads of the same bytes or the same name meet
    // here, and so do deletions (they read and remove blob references under this lock too).
    const created = await withAdvisoryLock(db, lockKeys.blobReferences, async (tx) => {
      const decided = await decide(tx);
      if (decided.isNew && request.password !== undefined) {
        dependencies.holdPassword?.(decided.version.id, request.password);
      }
      // Before the rows commit and still under the lock: a deletion looks for references only
      // once they are visible, so it cannot remove these bytes from under the new version (nor
      // can a crash leave a version without its bytes; at worst, bytes no row refers to).
      if (decided.isNew) await staged.commit();
      return decided;
    });
    return {
      documentId: created.document.id,
      versionId: created.version.id,
      jobId: created.job.id,
      title: created.document.title,
      sha256: staged.sha256,
      isDuplicate: !created.isNew && !created.isRetried,
    };
  } finally {
    await staged.discard();
  }
}

/** 507 when fewer than `reserveBytes` would stay free after `incomingBytes` more. */
async function requireFreeDisk(blobs: BlobStore, reserveBytes: number, incomingBytes: number): Promise<void> {
  if (reserveBytes <= 0) return;
  const freeBytes = await blobs.freeBytes();
  if (freeBytes - incomingBytes < reserveBytes) throw storageFull();
}

function overQuota(usage: {
  usedBytes: number;
  quotaBytes: number;
  fileBytes: number | undefined;
}): AppError {
  const { usedBytes, quotaBytes } = usage;
  const format = (bytes: number) => bytes.toLocaleString("en-US");
  return new AppError("too_large:collection_quota", {
    message:
      `The collection's storage quota is used up: ${format(usedBytes)} of its ${format(quotaBytes)} bytes are taken, ` +
      "and this file does not fit in the rest. Delete documents from the collection or ask an administrator to raise COLLECTION_QUOTA_BYTES.",
    details: {
      usedBytes,
      quotaBytes,
      ...(usage.fileBytes === undefined ? {} : { fileBytes: usage.fileBytes }),
    },
  });
}

async function recordUpload(
  tx: Executor,
  actor: string | undefined,
  action: "document.upload" | "version.create",
  { document, version }: CreatedVersion,
): Promise<void> {
  await appendAuditEvent(tx, {
    actor: actor ?? "system",
    action,
    subject: action === "document.upload" ? `document:${document.id}` : `version:${version.id}`,
    payload: {
      documentId: document.id,
      versionId: version.id,
      collectionId: document.collectionId,
      title: document.title,
      fileName: version.originalFilename,
      sha256: version.sha256,
      byteSize: version.byteSize,
      mediaType: version.mediaType,
    },
  });
}

async function refuseNameConflict(db: Executor, collectionId: string, title: string) {
  const existing = await findDocumentsByTitle({ db, collectionId, titles: [title] });
  if (existing.length === 0) return;
  throw new AppError("conflict:document_name", {
    message: `A document named "${title}" is already in this collection: upload it as a new version of that document, or keep both.`,
    details: { documents: existing.map((document) => ({ documentId: document.id, title: document.title })) },
  });
}

/** `scan.pdf` → `scan (2).pdf`, `scan (3).pdf`, … the first title not taken in the collection. */
async function freeTitle(db: Executor, collectionId: string, title: string) {
  const dot = title.lastIndexOf(".");
  const [stem, extension] = dot > 0 ? [title.slice(0, dot), title.slice(dot)] : [title, ""];
  const candidates = [
    title,
    ...Array.from({ length: 99 }, (_, index) => `${stem} (${index + 2})${extension}`),
  ];
  const taken = new Set(
    (await findDocumentsByTitle({ db, collectionId, titles: candidates })).map((document) => document.title),
  );
  return candidates.find((candidate) => !taken.has(candidate)) ?? `${stem} (${Date.now()})${extension}`;
}
