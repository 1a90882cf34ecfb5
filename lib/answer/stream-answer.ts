import type { AnswerEvent, Citation } from "../domain/answer-events";
import type { AnswerRefusal, ClaimVerdict } from "../domain/claim-verdicts";
import { asAppError } from "../errors";
import { getLogger } from "../observability/log";
import { answerOutcomeOf, meteredGeneration, recordAnswer } from "../observability/metrics";
import { type AnswerChecks, defaultAnswerChecks, refusalFor, verdictsFor } from "./answer-checks";
import { CitationMarkerTracker } from "./citation-markers";
import type { AnswerDependencies, PreparedAnswer } from "./prepare-answer";
import { type AnswerOutcome, recordAnswerOutcome } from "./record-answer";

export const noEvidenceAnswer =
  "I could not find anything about this in the documents you have access to, so I cannot answer it from them.";

const cancelled = { code: "aborted:answer", message: "The question was cancelled." };

/**
 * Streams the answer as typed events and checks every `[n]` against the sources actually sent.
 * Passages too far from the question get the no-evidence answer without the model; a generated
 * answer gets a verdict on each cited sentence (a `claims` event) before it is recorded.
 * Every answer is recorded with its audit event — before `answer-end`, or, when the consumer
 * stops early (the client went away), as cancelled once the stream is closed.
 */
export async function* streamAnswer(
  dependencies: AnswerDependencies,
  prepared: PreparedAnswer,
  checks: AnswerChecks = defaultAnswerChecks,
): AsyncGenerator<AnswerEvent> {
  const { sources } = prepared;
  const tracker = new CitationMarkerTracker(sources.length);
  const citations: Citation[] = [];
  const rejectedMarkers: number[] = [];
  let firstTokenMs: number | null = null;
  let refusal: AnswerRefusal | null = null;
  let claims: ClaimVerdict[] | null = null;
  let claimCheckMs: number | null = null;
  let isRecorded = false;
  const record = (failure: AnswerOutcome["failure"]) => {
    isRecorded = true;
    recordAnswer(answerOutcomeOf(failure, refusal !== null));
    return recordAnswerOutcome(dependencies, prepared, {
      answer: tracker.fullText,
      citations,
      rejectedMarkers,
      firstTokenMs,
      totalMs: performance.now() - prepared.startedAt,
      failure,
      claims,
      claimCheckMs,
      refusal,
    });
  };

  try {
    yield {
      type: "retrieval-end",
      threadId: prepared.threadId,
      sources,
      retrievalMs: prepared.retrievalMs,
      promptTokens: prepared.promptTokens,
      budgetTokens: prepared.budgetTokens,
      contextMode: prepared.contextMode,
      documentCount: prepared.documentCount,
      images: prepared.images,
    };
    let failure: AnswerOutcome["failure"] = null;
    refusal = await refusalFor(dependencies, prepared, checks);
    if (refusal) {
      tracker.push(noEvidenceAnswer);
      yield { type: "text-delta", text: noEvidenceAnswer };
    } else {
      try {
        const pieces = meteredGeneration(
          dependencies.generator.generate(prepared.generateRequest),
          prepared.startedAt,
        );
        for await (const text of pieces) {
          firstTokenMs ??= performance.now() - prepared.startedAt;
          yield { type: "text-delta", text };
          const check = tracker.push(text);
          rejectedMarkers.push(...check.rejected);
          for (const n of check.accepted) {
            const source = sources[n - 1];
            if (!source) continue;
            citations.push({ n, source });
            yield { type: "citation", citation: { n, source } };
          }
        }
      } catch (error) {
        const appError = asAppError(error);
        failure = prepared.request.signal?.aborted
          ? cancelled
          : {
              code: appError.code,
              message: appError.category === "internal" ? "The model failed." : appError.message,
            };
      }
    }

    if (!failure && !refusal) {
      try {
        const checked = await verdictsFor(dependencies, prepared, tracker.fullText, checks);
        if (checked) {
          ({ claims, checkMs: claimCheckMs } = checked);
          yield { type: "claims", ...checked };
        }
      } catch {
        failure = cancelled;
      }
    }

    let auditSeq: number;
    try {
      auditSeq = (await record(failure)).seq;
    } catch {
      yield {
        type: "error",
        code: "unavailable:audit",
        message: "The answer could not be recorded in the audit log, so it must not be relied on.",
      };
      return;
    }
    if (failure) {
      yield { type: "error", ...failure, answerId: prepared.answerId };
      return;
    }
    yield {
      type: "answer-end",
      answerId: prepared.answerId,
      rejectedMarkers,
      auditSeq,
      firstTokenMs,
      totalMs: performance.now() - prepared.startedAt,
      refusal,
    };
  } finally {
    if (!isRecorded) {
      await record(cancelled).catch((error: unknown) =>
        getLogger().error("[answer] could not record a cancelled answer", { error }),
      );
    }
  }
}
