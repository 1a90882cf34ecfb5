import { z } from "zod";
import { exportLedger } from "../audit/export-ledger";
import { loadOrCreateSigningKey } from "../audit/signing-key";
import type { Actor } from "../domain/actor";
import type { Folio } from "../runtime";
import { requireAuditor } from "./require-auditor";
import { type AnswerSearchFilters, matchingAnswerIds } from "./search-answers";

/** What the auditor asked to export: chosen answers, or whatever an answer search matches. */
export interface AuditExportRequest {
  answerIds?: string[];
  filters: AnswerSearchFilters;
}

/**
 * The JSONL lines of a ledger export for an auditor (anyone else: 404), the first already read —
 * so the `audit.export` event is on record and a failure to start is an HTTP error, not a cut
 * file. Chosen answers export by id. A search the ledger export can filter by itself (dates, a
 * collection by id) exports the ledger's events in that range; one naming a person, a document,
 * text or a collection by name exports the answers it matches (at most `maxMatchingAnswerIds`).
 */
export async function exportForAudit(
  folio: Pick<Folio, "database" | "config">,
  actor: Actor,
  request: AuditExportRequest,
): Promise<{ firstLine: string | undefined; rest: AsyncGenerator<string> }> {
  requireAuditor(actor);
  const { db } = folio.database;
  const { filters } = request;
  const isLedgerFilter =
    filters.person === undefined &&
    filters.documentId === undefined &&
    filters.documentTitle === undefined &&
    filters.text === undefined &&
    filters.collectionName === undefined;
  const answerIds =
    request.answerIds ?? (isLedgerFilter ? undefined : await matchingAnswerIds(db, actor, filters));
  const signingKey = await loadOrCreateSigningKey(folio.config.auditKeyFile);
  const lines = exportLedger(db, {
    ...(answerIds
      ? { answerIds }
      : {
          ...(filters.from ? { from: filters.from } : {}),
          ...(filters.to ? { to: filters.to } : {}),
          ...(filters.collectionId ? { collectionId: filters.collectionId } : {}),
        }),
    actor: actor.userId,
    signingKey,
  });
  const first = await lines.next();
  return { firstLine: first.done ? undefined : first.value, rest: lines };
}

/** @default at most 10,000 chosen answers in one export */
export const auditExportAnswerIdsSchema = z.array(z.uuid()).min(1).max(10_000);
