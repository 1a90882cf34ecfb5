import { z } from "zod";
import type { Database } from "../../db/client";
import { listAuditEventsBySubject } from "../../db/queries/audit-events";
import { getAuditedAnswer, getVersionsAndDocuments } from "../../db/queries/audit-workspace";
import { listFeedbackWithUsers } from "../../db/queries/feedback";
import type { AnswerSourceRow, AuditEvent } from "../../db/schema";
import { computeEventHash } from "../audit/hash-chain";
import type { Actor } from "../domain/actor";
import type { AnswerRefusal, ClaimVerdict } from "../domain/claim-verdicts";
import type { BoundingBox } from "../domain/geometry";
import { AppError } from "../errors";
import { sha256Hex } from "../text/sha256-hex";
import { requireAuditor } from "./require-auditor";

/**
 * A passage's text against the hash taken when it was sent: `match`, `mismatch` (the stored text
 * was changed since), or `erased` (a deletion or purge removed the text; the hash stays).
 */
export type HashCheck = "match" | "mismatch" | "erased";

/** A value kept with the answer against the ledger's copy of its hash; `not_recorded`: no ledger value to compare. */
export type LedgerCheck = "match" | "mismatch" | "not_recorded";

export interface AuditedSource {
  n: number;
  chunkId: string;
  documentId: string;
  versionId: string;
  collectionId: string | null;
  documentTitle: string;
  pageNumber: number;
  /** "Slide 3", "Sheet: Revenue", a section heading; null for PDF and image pages. */
  pageLabel: string | null;
  box: BoundingBox | null;
  kind: string;
  /** Exactly as sent to the model; null once erased. */
  text: string | null;
  erasedAt: Date | null;
  contentHash: string;
  hashCheck: HashCheck;
  /**
   * This passage against what the ledger event holds for passage `n`: its hash and where it came
   * from (chunk, document, version, page, image). `mismatch` also when the ledger has no passage `n`.
   */
  ledgerCheck: LedgerCheck;
  /** A figure sent to the model as an image: sha256 of the image's bytes. */
  imageSha256: string | null;
  isCited: boolean;
  /** The cited version as it is now: gone when its document was deleted. */
  version: { exists: true; sha256: string; status: string; pageCount: number | null } | { exists: false };
  document: { exists: boolean; title: string | null; isCurrentVersion: boolean };
}

export interface AuditedCitation {
  n: number;
  chunkId: string;
  documentId: string;
  versionId: string;
  pageNumber: number;
  contentHash: string;
  imageSha256: string | null;
}

export interface AuditedFeedback {
  userId: string;
  email: string | null;
  displayName: string | null;
  rating: 1 | -1;
  comment: string;
  createdAt: Date;
}

export interface AuditedLedgerEvent {
  seq: number;
  hash: string;
  ts: Date;
  /** The event's hash recomputes from its stored fields (the chain badge checks the links). */
  isHashValid: boolean;
  /** Later `answer.create` events naming this answer: none is legitimate (each answer is recorded once). */
  laterEventSeqs: number[];
  question: LedgerCheck;
  answer: LedgerCheck;
  promptHash: LedgerCheck;
}

/** Everything an auditor checks about one answer. */
export interface AnswerAudit {
  answerId: string;
  createdAt: Date;
  asker: { userId: string; email: string | null; displayName: string | null };
  question: string;
  answer: string;
  status: "complete" | "error";
  errorCode: string | null;
  collectionIds: string[];
  citations: AuditedCitation[];
  claims: ClaimVerdict[];
  rejectedMarkers: number[];
  refusal: AnswerRefusal | null;
  sources: AuditedSource[];
  /** Passages the ledger says the prompt held that are no longer kept with the answer (rows removed). */
  missingSources: number[];
  promptHash: string | null;
  promptTokens: number | null;
  model: {
    generatorId: string | null;
    sha256: string | null;
    contextTokens?: number;
    embedderId?: string;
    /** The reranker that ordered the passages, when one did. */
    rerankerId?: string;
  };
  /** The generation parameters the ledger recorded (maxTokens and the sampling settings). */
  parameters: Record<string, unknown> | null;
  ledger: AuditedLedgerEvent | null;
  feedback: AuditedFeedback[];
}

/** The `answer.create` payload as far as this view reads it; older events may lack fields. */
const answerPayloadSchema = z
  .object({
    questionSha256: z.string().optional(),
    answerSha256: z.string().optional(),
    promptHash: z.string().nullable().optional(),
    promptTokens: z.number().optional(),
    chunks: z
      .array(
        z
          .object({
            n: z.number(),
            contentHash: z.string(),
            chunkId: z.string().optional(),
            documentId: z.string().optional(),
            versionId: z.string().optional(),
            pageNumber: z.number().optional(),
            pageLabel: z.string().optional(),
            imageSha256: z.string().optional(),
          })
          .loose(),
      )
      .optional(),
    model: z
      .object({
        generatorId: z.string().nullable().optional(),
        sha256: z.string().nullable().optional(),
        contextTokens: z.number().optional(),
        embedderId: z.string().optional(),
        rerankerId: z.string().optional(),
      })
      .loose()
      .optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();
type AnswerPayload = z.infer<typeof answerPayloadSchema>;

/** The ledger is checked, not trusted: a payload that does not parse compares as not recorded. */
function parsePayload(event: AuditEvent | undefined): AnswerPayload {
  if (!event) return {};
  try {
    const parsed = answerPayloadSchema.safeParse(JSON.parse(event.payload));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

const compare = (actual: string | null, recorded: string | null | undefined): LedgerCheck =>
  recorded === undefined || recorded === null || actual === null
    ? "not_recorded"
    : actual === recorded
      ? "match"
      : "mismatch";

type LedgerChunk = NonNullable<AnswerPayload["chunks"]>[number];

/** The kept passage against the ledger's record of passage `n`: its hash and every locator. */
function ledgerCheckOf(source: AnswerSourceRow, chunks: AnswerPayload["chunks"]): LedgerCheck {
  if (chunks === undefined) return "not_recorded";
  const recorded = chunks.find((chunk) => chunk.n === source.n);
  if (!recorded) return "mismatch";
  const kept: Partial<LedgerChunk> = {
    contentHash: source.contentHash,
    chunkId: source.chunkId,
    documentId: source.documentId,
    versionId: source.versionId,
    pageNumber: source.pageNumber,
    ...(source.pageLabel ? { pageLabel: source.pageLabel } : {}),
  };
  const isSame =
    Object.entries(kept).every(([field, value]) => {
      const inLedger = recorded[field as keyof LedgerChunk];
      return inLedger === undefined || inLedger === value;
    }) && (recorded.imageSha256 ?? null) === source.imageSha256;
  return isSame ? "match" : "mismatch";
}

function hashCheckOf(source: AnswerSourceRow): HashCheck {
  if (source.text === null) return "erased";
  return sha256Hex(source.text) === source.contentHash ? "match" : "mismatch";
}

/**
 * One answer as the auditor checks it: the passages exactly as sent, each against its hash and
 * the ledger's; whether the cited versions still exist; the ledger event and whether the question
 * and answer kept with the answer still hash to what it recorded; model, parameters and feedback.
 */
export async function auditAnswer(db: Database, actor: Actor, answerId: string): Promise<AnswerAudit> {
  requireAuditor(actor);
  const found = await getAuditedAnswer({ db, id: answerId });
  if (!found) throw new AppError("not_found:answer", { message: "No such answer." });
  const { answer, sources } = found;
  const [events, feedback, current] = await Promise.all([
    listAuditEventsBySubject({ db, subject: `answer:${answerId}`, action: "answer.create" }),
    listFeedbackWithUsers({ db, answerId }),
    getVersionsAndDocuments({
      db,
      versionIds: sources.map((source) => source.versionId),
      documentIds: sources.map((source) => source.documentId),
    }),
  ]);
  // The answer's own event is the first; anything appended later for it is suspect, not a correction.
  const [event, ...laterEvents] = events;
  const payload = parsePayload(event);
  const keptNumbers = new Set(sources.map((source) => source.n));
  const versionOf = new Map(current.versions.map((version) => [version.id, version]));
  const documentOf = new Map(current.documents.map((document) => [document.id, document]));
  const citedMarkers = new Set(found.citations.map((citation) => citation.marker));
  const checks = answer.checks as {
    claims?: ClaimVerdict[] | null;
    rejectedMarkers?: number[];
    refusal?: AnswerRefusal | null;
  };
  const metrics = answer.metrics as { promptTokens?: number };

  return {
    answerId: answer.id,
    createdAt: answer.createdAt,
    asker: {
      userId: answer.actor,
      email: found.asker?.email ?? null,
      displayName: found.asker?.displayName ?? null,
    },
    question: answer.question,
    answer: answer.answer,
    status: answer.status,
    errorCode: answer.errorCode,
    collectionIds: answer.collectionIds,
    citations: found.citations.map((citation) => ({
      n: citation.marker,
      chunkId: citation.chunkId,
      documentId: citation.documentId,
      versionId: citation.versionId,
      pageNumber: citation.pageNumber,
      contentHash: citation.contentHash,
      imageSha256: citation.imageSha256,
    })),
    claims: Array.isArray(checks.claims) ? checks.claims : [],
    rejectedMarkers: Array.isArray(checks.rejectedMarkers) ? checks.rejectedMarkers : [],
    refusal: checks.refusal ?? null,
    sources: sources.map((source) => {
      const version = versionOf.get(source.versionId);
      const document = documentOf.get(source.documentId);
      const isVersionOfDocument = version !== undefined && version.documentId === source.documentId;
      return {
        n: source.n,
        chunkId: source.chunkId,
        documentId: source.documentId,
        versionId: source.versionId,
        collectionId: source.collectionId,
        documentTitle: source.documentTitle,
        pageNumber: source.pageNumber,
        pageLabel: source.pageLabel ?? null,
        box: (source.box as BoundingBox | null) ?? null,
        kind: source.kind,
        text: source.text,
        erasedAt: source.erasedAt,
        contentHash: source.contentHash,
        hashCheck: hashCheckOf(source),
        ledgerCheck: event ? ledgerCheckOf(source, payload.chunks) : "not_recorded",
        imageSha256: source.imageSha256,
        isCited: citedMarkers.has(source.n),
        version: isVersionOfDocument
          ? { exists: true, sha256: version.sha256, status: version.status, pageCount: version.pageCount }
          : { exists: false },
        document: {
          exists: document !== undefined,
          title: document?.title ?? null,
          isCurrentVersion: document?.currentVersionId === source.versionId,
        },
      };
    }),
    missingSources: (payload.chunks ?? []).map((chunk) => chunk.n).filter((n) => !keptNumbers.has(n)),
    promptHash: answer.promptHash,
    promptTokens: payload.promptTokens ?? metrics.promptTokens ?? null,
    model: {
      generatorId: payload.model?.generatorId ?? answer.generatorId,
      sha256: payload.model?.sha256 ?? answer.modelSha256,
      ...(payload.model?.contextTokens === undefined ? {} : { contextTokens: payload.model.contextTokens }),
      ...(payload.model?.embedderId === undefined ? {} : { embedderId: payload.model.embedderId }),
      ...(payload.model?.rerankerId === undefined ? {} : { rerankerId: payload.model.rerankerId }),
    },
    parameters: payload.parameters ?? null,
    ledger: event
      ? {
          seq: event.seq,
          hash: event.hash,
          ts: event.ts,
          isHashValid: computeEventHash(event) === event.hash,
          laterEventSeqs: laterEvents.map((later) => later.seq),
          question: compare(sha256Hex(answer.question), payload.questionSha256),
          answer: compare(sha256Hex(answer.answer), payload.answerSha256),
          promptHash: compare(answer.promptHash, payload.promptHash),
        }
      : null,
    feedback: feedback.map((row) => ({
      userId: row.userId,
      email: row.email,
      displayName: row.displayName,
      rating: row.rating === 1 ? 1 : -1,
      comment: row.comment,
      createdAt: row.createdAt,
    })),
  };
}
