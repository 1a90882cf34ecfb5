import { stat } from "node:fs/promises";
import { getAnswerSource } from "../../db/queries/audit-workspace";
import { getVersionWithDocument } from "../../db/queries/documents";
import type { AnswerSourceRow, DocumentVersion } from "../../db/schema";
import type { Actor } from "../domain/actor";
import { AppError } from "../errors";
import { type PageContent, previewPage } from "../previews/preview-page";
import type { Folio } from "../runtime";
import type { PreviewSize } from "../storage/derived-store";
import { requireAuditor } from "./require-auditor";

const deletedMessage = "Document deleted: the passage text kept with the answer is shown.";

/**
 * The page a passage of an answer came from, in the version the model was shown — not the
 * document's current one. The auditor sees this page because the answer cited it (whatever their
 * own grants); nothing else of the document. A version whose document was deleted, or whose
 * original file is gone, is a 404 saying so: the passage text kept with the answer remains.
 */
export async function auditedSourcePage(
  folio: Pick<Folio, "database" | "blobs" | "derived" | "ingest" | "config">,
  actor: Actor,
  request: { answerId: string; n: number; size: PreviewSize },
): Promise<{ source: AnswerSourceRow; version: DocumentVersion; content: PageContent }> {
  requireAuditor(actor);
  const { db } = folio.database;
  const source = await getAnswerSource({ db, answerId: request.answerId, n: request.n });
  if (!source) throw new AppError("not_found:answer", { message: "No such passage in this answer." });
  const found = await getVersionWithDocument({ db, versionId: source.versionId });
  const version = found?.document.id === source.documentId ? found.version : undefined;
  const original = version ? await stat(folio.blobs.pathOf(version.sha256)).catch(() => null) : null;
  if (!version || !original) {
    throw new AppError("not_found:version", { message: deletedMessage, details: { reason: "deleted" } });
  }
  const content = await previewPage(folio, { version, pageNumber: source.pageNumber, size: request.size });
  return { source, version, content };
}
