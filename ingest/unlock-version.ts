import type { Database, Executor } from "../db/client";
import { getVersionWithDocument, updateVersion } from "../db/queries/documents";
import { requeueJobOfVersion } from "../db/queries/ingest-jobs";
import type { IngestJob } from "../db/schema";
import { AppError } from "../lib/errors";

/** A version that failed only for want of the right password. */
export function isWaitingForPassword(version: { status: string; errorCode: string | null }): boolean {
  return (
    version.status === "failed" &&
    (version.errorCode === "invalid:pdf_encrypted" || version.errorCode === "invalid:pdf_wrong_password")
  );
}

/**
 * Queues an encrypted PDF's version again with its password, which `holdPassword` keeps in memory
 * (before the job is visible to a worker). The caller decides who may do this.
 */
export async function retryWithPassword(
  tx: Executor,
  input: { versionId: string; password: string; holdPassword: (versionId: string, password: string) => void },
): Promise<IngestJob> {
  await updateVersion({
    db: tx,
    versionId: input.versionId,
    changes: { status: "queued", errorCode: null, errorMessage: null },
  });
  const job = await requeueJobOfVersion({ db: tx, versionId: input.versionId });
  if (!job)
    throw new AppError("not_found:version", { message: "The document version has no job to run again." });
  input.holdPassword(input.versionId, input.password);
  return job;
}

/** `POST /api/documents/:id/unlock`: the password for a version that failed as password-protected. */
export async function unlockVersion(
  dependencies: { db: Database; holdPassword: (versionId: string, password: string) => void },
  input: { documentId: string; versionId: string; password: string },
): Promise<{ jobId: string }> {
  return dependencies.db.transaction(async (tx) => {
    const found = await getVersionWithDocument({ db: tx, versionId: input.versionId });
    if (!found || found.document.id !== input.documentId) {
      throw new AppError("not_found:version", { message: "No such version of this document." });
    }
    if (!isWaitingForPassword(found.version)) {
      throw new AppError("conflict:version", {
        message: "This version is not waiting for a password.",
      });
    }
    const job = await retryWithPassword(tx, { ...input, holdPassword: dependencies.holdPassword });
    return { jobId: job.id };
  });
}
