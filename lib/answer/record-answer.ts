import { insertAnswer } from "../../db/queries/answers";
import { getDocumentsByIds } from "../../db/queries/documents";
import { touchThread } from "../../db/queries/threads";
import type { AuditEvent } from "../../db/schema";
import { appendAuditEvent } from "../audit/append-audit-event";
import type { Citation } from "../domain/answer-events";
import type { AnswerRefusal, ClaimVerdict } from "../domain/claim-verdicts";
import { sha256Hex } from "../text/sha256-hex";
import type { AnswerDependencies, PreparedAnswer } from "./prepare-answer";

export interface AnswerOutcome {
  answer: string;
  citations: Citation[];
  rejectedMarkers: number[];
  firstTokenMs: number | null;
  totalMs: number;
  failure: { code: string; message: string } | null;
  /** Verdicts on the sentences that cite a source; null when not checked (refused, failed, cancelled). */
  claims?: ClaimVerdict[] | null;
  claimCheckMs?: number | null;
  /** Why the model was not asked, when it was not. */
  refusal?: AnswerRefusal | null;
}

/**
 * Stores the answer, its citations, the passages exactly as sent (so the answer still shows what
 * the model saw after its documents change or go) and its hash-chained audit event, in one
 * transaction.
 */
export async function recordAnswerOutcome(
  dependencies: AnswerDependencies,
  prepared: PreparedAnswer,
  outcome: AnswerOutcome,
): Promise<AuditEvent> {
  return dependencies.db.transaction(async (tx) => {
    await touchThread({ db: tx, id: prepared.threadId });
    const documents = await getDocumentsByIds({
      db: tx,
      ids: prepared.sources.map((source) => source.documentId),
    });
    const collectionOf = new Map(documents.map((document) => [document.id, document.collectionId]));
    await insertAnswer({
      tx,
      answer: {
        id: prepared.answerId,
        threadId: prepared.threadId,
        actor: prepared.request.actor,
        question: prepared.request.question,
        collectionIds: [...prepared.request.collectionIds],
        answer: outcome.answer,
        status: outcome.failure ? "error" : "complete",
        errorCode: outcome.failure?.code ?? null,
        generatorId: dependencies.generator.id,
        modelSha256: dependencies.generator.modelSha256,
        promptHash: prepared.promptHash,
        checks: {
          rejectedMarkers: outcome.rejectedMarkers,
          claims: outcome.claims ?? null,
          refusal: outcome.refusal ?? null,
        },
        metrics: {
          retrievalMs: prepared.retrievalMs,
          firstTokenMs: outcome.firstTokenMs,
          totalMs: outcome.totalMs,
          claimCheckMs: outcome.claimCheckMs ?? null,
          promptTokens: prepared.promptTokens,
          images: prepared.images,
        },
      },
      citations: outcome.citations.map(({ n, source }) => ({
        marker: n,
        chunkId: source.chunkId,
        documentId: source.documentId,
        versionId: source.versionId,
        pageNumber: source.pageNumber,
        contentHash: source.contentHash,
        imageSha256: source.imageSha256,
      })),
      sources: prepared.sources.map((source) => ({
        n: source.n,
        chunkId: source.chunkId,
        documentId: source.documentId,
        versionId: source.versionId,
        collectionId: collectionOf.get(source.documentId) ?? null,
        documentTitle: source.documentTitle,
        pageNumber: source.pageNumber,
        pageLabel: source.pageLabel,
        box: source.box,
        kind: source.kind,
        text: source.text,
        contentHash: source.contentHash,
        imageSha256: source.imageSha256,
      })),
    });
    return appendAuditEvent(tx, {
      actor: prepared.request.actor,
      action: "answer.create",
      subject: `answer:${prepared.answerId}`,
      payload: auditPayload(dependencies, prepared, outcome),
    });
  });
}

/**
 * What an auditor needs to check an answer: every input the model saw and what it said, by hash.
 * The texts themselves live in `answers` and `answer_sources`, where a retention purge or an
 * erasure can remove them; the ledger, which nothing may change, keeps only their sha256 — and
 * still proves what the text was while it exists.
 */
function auditPayload(dependencies: AnswerDependencies, prepared: PreparedAnswer, outcome: AnswerOutcome) {
  return {
    answerId: prepared.answerId,
    threadId: prepared.threadId,
    questionSha256: sha256Hex(prepared.request.question),
    collectionIds: prepared.request.collectionIds,
    chunks: prepared.sources.map((source) => ({
      n: source.n,
      chunkId: source.chunkId,
      documentId: source.documentId,
      versionId: source.versionId,
      pageNumber: source.pageNumber,
      ...(source.pageLabel ? { pageLabel: source.pageLabel } : {}),
      contentHash: source.contentHash,
      ...(source.imageSha256 ? { imageSha256: source.imageSha256 } : {}),
    })),
    images: prepared.images,
    promptHash: prepared.promptHash,
    promptTokens: prepared.promptTokens,
    model: {
      generatorId: dependencies.generator.id,
      sha256: dependencies.generator.modelSha256,
      contextTokens: dependencies.generator.capabilities.contextTokens,
      embedderId: dependencies.embedder.id,
      ...(prepared.rerankerId ? { rerankerId: prepared.rerankerId } : {}),
    },
    parameters: { maxTokens: prepared.generateRequest.maxTokens, ...prepared.generateRequest.sampling },
    answerSha256: sha256Hex(outcome.answer),
    citations: outcome.citations.map(({ n, source }) => ({ n, chunkId: source.chunkId })),
    rejectedMarkers: outcome.rejectedMarkers,
    claims: outcome.claims ?? null,
    refusal: outcome.refusal ?? null,
    status: outcome.failure ? "error" : "complete",
    errorCode: outcome.failure?.code ?? null,
  };
}
