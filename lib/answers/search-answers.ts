import { z } from "zod";
import type { Executor } from "../../db/client";
import {
  type AnswerSearchFilters,
  type AnswerSearchPosition,
  listMatchingAnswerIds,
  searchAnswers,
} from "../../db/queries/audit-workspace";
import type { Actor } from "../domain/actor";
import type { ClaimSupport } from "../domain/claim-verdicts";
import { AppError } from "../errors";
import { requireAuditor } from "./require-auditor";

export type { AnswerSearchFilters } from "../../db/queries/audit-workspace";

/** One line of the auditor's answer list. */
export interface AnswerListItem {
  answerId: string;
  createdAt: Date;
  /** Null when the asker's account is gone. */
  askerEmail: string | null;
  askerName: string | null;
  /** The question, shortened to `questionPreviewChars`. */
  question: string;
  status: "complete" | "error";
  errorCode: string | null;
  /** How the cited sentences fared; all zero for an answer that was not checked. */
  claims: Record<ClaimSupport, number>;
  feedback: { up: number; down: number; comments: number };
}

export interface AnswerListPage {
  answers: AnswerListItem[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** @default 50 answers a page */
export const answersPerPage = 50;
const questionPreviewChars = 200;

/** At most this many answers go into one "export all matching" (a narrower search exports more). */
export const maxMatchingAnswerIds = 10_000;

const positionSchema = z.tuple([
  // PostgreSQL's text form of a timestamptz: microseconds kept, so no row is skipped or repeated.
  z.string().regex(/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:\d{2})?|Z)$/),
  z.uuid(),
]);

export function encodeCursor(position: AnswerSearchPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString("base64url");
}

export function decodeCursor(cursor: string): AnswerSearchPosition {
  try {
    const [createdAt, id] = positionSchema.parse(
      JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")),
    );
    return { createdAt, id };
  } catch (error) {
    throw new AppError("invalid:request", {
      message: "cursor: not a cursor this list gave out",
      cause: error,
    });
  }
}

function shorten(text: string, maxChars: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= maxChars ? flat : `${flat.slice(0, maxChars - 1).trimEnd()}…`;
}

/** Counts of verdicts in a stored `checks.claims` (anything else counts as none). */
export function countClaims(claims: unknown): Record<ClaimSupport, number> {
  const counts: Record<ClaimSupport, number> = { supported: 0, weak: 0, unsupported: 0 };
  if (!Array.isArray(claims)) return counts;
  for (const claim of claims) {
    const support = (claim as { support?: unknown } | null)?.support;
    if (support === "supported" || support === "weak" || support === "unsupported") counts[support] += 1;
  }
  return counts;
}

/**
 * Every person's answers, for the auditor: by asker, time, collection, document and text, newest
 * first, a page at a time (keyset: a page never repeats or skips an answer written meanwhile).
 */
export async function searchAnswersForAudit(
  db: Executor,
  actor: Actor,
  request: { filters: AnswerSearchFilters; cursor?: string; limit?: number },
): Promise<AnswerListPage> {
  requireAuditor(actor);
  const limit = request.limit ?? answersPerPage;
  const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
  const rows = await searchAnswers({
    db,
    filters: request.filters,
    ...(after ? { after } : {}),
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    answers: page.map((row) => ({
      answerId: row.id,
      createdAt: row.createdAt,
      askerEmail: row.askerEmail,
      askerName: row.askerName,
      question: shorten(row.question, questionPreviewChars),
      status: row.status,
      errorCode: row.errorCode,
      claims: countClaims(row.claims),
      feedback: row.feedback,
    })),
    nextCursor: rows.length > limit && last ? encodeCursor(last.position) : null,
  };
}

/** The ids of the answers a search matches, for "export all matching"; too many is a 400. */
export async function matchingAnswerIds(
  db: Executor,
  actor: Actor,
  filters: AnswerSearchFilters,
): Promise<string[]> {
  requireAuditor(actor);
  const ids = await listMatchingAnswerIds({ db, filters, limit: maxMatchingAnswerIds + 1 });
  if (ids.length > maxMatchingAnswerIds) {
    throw new AppError("invalid:request", {
      message: `More than ${maxMatchingAnswerIds} answers match: narrow the search (a shorter date range) and export in parts.`,
    });
  }
  return ids;
}
