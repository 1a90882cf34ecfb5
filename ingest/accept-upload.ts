import type { Database } from "../db/client";
import { getCollectionById } from "../db/queries/collections";
import { createVersionWithJob, findVersionBySha256 } from "../db/queries/documents";
import { AppError } from "../lib/errors";
import type { BlobStore } from "../lib/storage/blob-store";
import { sanitizeFileName } from "./sanitize-file-name";
import { detectMediaType } from "./stages/detect-media-type";

export interface UploadDependencies {
  db: Database;
  blobs: BlobStore;
  maxUploadBytes: number;
}

export interface UploadRequest {
  collectionId: string;
  fileName: string;
  body: AsyncIterable<Uint8Array>;
  /** Content-Length when the client sent one: lets an oversized upload be refused unread. */
  declaredBytes?: number;
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
 * job queued — all before any parsing. Same bytes twice in a collection make one version.
 */
export async function acceptUpload(
  dependencies: UploadDependencies,
  request: UploadRequest,
): Promise<AcceptedUpload> {
  const { db, blobs, maxUploadBytes } = dependencies;
  const collection = await getCollectionById({ db, id: request.collectionId });
  if (!collection) {
    throw new AppError("not_found:collection", {
      message: "No such collection.",
    });
  }
  if (request.declaredBytes !== undefined && request.declaredBytes > maxUploadBytes) {
    throw new AppError("too_large:upload", {
      message: `The file is larger than the ${Math.floor(maxUploadBytes / 1_048_576)} MB limit.`,
      details: { maxBytes: maxUploadBytes },
    });
  }
  const blob = await blobs.put(request.body, { maxBytes: maxUploadBytes, validate: detectMediaType });
  const mediaType = detectMediaType(blob.head);
  const title = sanitizeFileName(request.fileName);

  const existing = await findVersionBySha256({ db, collectionId: collection.id, sha256: blob.sha256 });
  const { document, version, job, isNew } =
    existing === undefined
      ? await createVersionWithJob({
          db,
          input: {
            collectionId: collection.id,
            title,
            sha256: blob.sha256,
            byteSize: blob.byteSize,
            mediaType,
            originalFilename: title,
          },
        })
      : { ...existing, isNew: false };
  return {
    documentId: document.id,
    versionId: version.id,
    jobId: job.id,
    title: document.title,
    sha256: blob.sha256,
    isDuplicate: !isNew,
  };
}
