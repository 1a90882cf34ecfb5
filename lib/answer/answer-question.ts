import { randomUUID } from "node:crypto";
import type { Database } from "../../db/client";
import { recordAnswer } from "../../db/queries/answers";
import { canonicalJson } from "../audit/hash-chain";
import type { AnswerEvent, Citation, SourceRef } from "../domain/answer-events";
import type { Embedder } from "../embeddings/embedder";
import { asAppError } from "../errors";
import type { GenerateRequest, Generator, SamplingParameters } from "../llm/generator";
import { retrieveContext } from "../retrieval/retrieve-context";
import { sha256Hex } from "../text/hash";
import type { VectorStore } from "../vector-store/vector-store";
import { packPrompt } from "./build-prompt";
import { CitationMarkerTracker } from "./citation-markers";

export interface AnswerSettings {
  retrievalTopK: number;
  maxAnswerTokens: number;
  sampling: SamplingParameters;
}

export interface AnswerDependencies {
  db: Database;
  store: VectorStore;
  embedder: Embedder;
  generator: Generator;
  settings: AnswerSettings;
}

export interface AnswerRequest {
  question: string;
  /** Decided on the server from the session, at the moment of the request. */
  collectionIds: readonly string[];
  actor: string;
  signal?: AbortSignal;
}

/** What was decided before any text is generated; failures up to here are plain HTTP errors. */
export interface PreparedAnswer {
  answerId: string;
  request: AnswerRequest;
  sources: SourceRef[];
  generateRequest: GenerateRequest;
  promptTokens: number;
  /** Window tokens left for the prompt once the answer's share is reserved. */
  budgetTokens: number;
  promptHash: string;
  retrievalMs: number;
  startedAt: number;
}

export const noEvidenceAnswer =
  "I could not find anything about this in the documents you have access to, so I cannot answer it from them.";

export async function prepareAnswer(
  dependencies: AnswerDependencies,
  request: AnswerRequest,
): Promise<PreparedAnswer> {
  const startedAt = performance.now();
  const candidates = await retrieveContext(dependencies, {
    question: request.question,
    collectionIds: request.collectionIds,
    limit: dependencies.settings.retrievalTopK,
  });
  const retrievalMs = performance.now() - startedAt;
  const prompt = await packPrompt({
    question: request.question,
    candidates,
    generator: dependencies.generator,
    maxAnswerTokens: dependencies.settings.maxAnswerTokens,
  });
  const generateRequest: GenerateRequest = {
    system: prompt.system,
    messages: prompt.messages,
    maxTokens: dependencies.settings.maxAnswerTokens,
    sampling: dependencies.settings.sampling,
    signal: request.signal,
  };
  return {
    answerId: randomUUID(),
    request,
    sources: prompt.sources,
    generateRequest,
    promptTokens: prompt.promptTokens,
    budgetTokens: prompt.budgetTokens,
    promptHash: hashPrompt(generateRequest),
    retrievalMs,
    startedAt,
  };
}

/** sha256 over exactly what the generator receives: system prompt and messages. */
export function hashPrompt(request: Pick<GenerateRequest, "system" | "messages">): string {
  return sha256Hex(canonicalJson({ system: request.system, messages: request.messages }));
}

/**
 * Streams the answer as typed events, checks every `[n]` against the sources actually sent, and
 * records answer + citations + audit event in one transaction before `answer-end`.
 */
export async function* streamAnswer(
  dependencies: AnswerDependencies,
  prepared: PreparedAnswer,
): AsyncGenerator<AnswerEvent> {
  const { sources } = prepared;
  yield {
    type: "retrieval-end",
    sources,
    retrievalMs: prepared.retrievalMs,
    promptTokens: prepared.promptTokens,
    budgetTokens: prepared.budgetTokens,
  };

  const tracker = new CitationMarkerTracker(sources.length);
  const citations: Citation[] = [];
  const rejectedMarkers: number[] = [];
  let firstTokenMs: number | null = null;
  let failure: { code: string; message: string } | null = null;

  if (sources.length === 0) {
    tracker.push(noEvidenceAnswer);
    yield { type: "text-delta", text: noEvidenceAnswer };
  } else {
    try {
      for await (const text of dependencies.generator.generate(prepared.generateRequest)) {
        firstTokenMs ??= performance.now() - prepared.startedAt;
        yield { type: "text-delta", text };
        const check = tracker.push(text);
        rejectedMarkers.push(...check.rejected);
        for (const n of check.accepted) {
          const source = sources[n - 1];
          if (!source) continue;
          const citation = { n, source };
          citations.push(citation);
          yield { type: "citation", citation };
        }
      }
    } catch (error) {
      const appError = asAppError(error);
      failure = prepared.request.signal?.aborted
        ? { code: "aborted:answer", message: "The question was cancelled." }
        : {
            code: appError.code,
            message: appError.category === "internal" ? "The model failed." : appError.message,
          };
    }
  }

  const totalMs = performance.now() - prepared.startedAt;
  try {
    const { auditEvent } = await recordAnswer({
      db: dependencies.db,
      answer: {
        id: prepared.answerId,
        actor: prepared.request.actor,
        question: prepared.request.question,
        collectionIds: [...prepared.request.collectionIds],
        answer: tracker.fullText,
        status: failure ? "error" : "complete",
        errorCode: failure?.code ?? null,
        generatorId: dependencies.generator.id,
        modelSha256: dependencies.generator.modelSha256,
        promptHash: prepared.promptHash,
        checks: { rejectedMarkers },
        metrics: {
          retrievalMs: prepared.retrievalMs,
          firstTokenMs,
          totalMs,
          promptTokens: prepared.promptTokens,
        },
      },
      citations: citations.map(({ n, source }) => ({
        marker: n,
        chunkId: source.chunkId,
        documentId: source.documentId,
        versionId: source.versionId,
        pageNumber: source.pageNumber,
        contentHash: source.contentHash,
      })),
      auditEvent: {
        actor: prepared.request.actor,
        action: "answer.create",
        subject: `answer:${prepared.answerId}`,
        payload: auditPayload(dependencies, prepared, tracker.fullText, citations, rejectedMarkers, failure),
      },
    });
    if (failure) {
      yield { type: "error", ...failure, answerId: prepared.answerId };
      return;
    }
    yield {
      type: "answer-end",
      answerId: prepared.answerId,
      rejectedMarkers,
      auditSeq: auditEvent.seq,
      firstTokenMs,
      totalMs,
    };
  } catch (error) {
    const appError = asAppError(error);
    yield {
      type: "error",
      code: appError.category === "internal" ? "unavailable:audit" : appError.code,
      message: "The answer could not be recorded in the audit log, so it must not be relied on.",
    };
  }
}

function auditPayload(
  dependencies: AnswerDependencies,
  prepared: PreparedAnswer,
  answer: string,
  citations: Citation[],
  rejectedMarkers: number[],
  failure: { code: string; message: string } | null,
) {
  return {
    answerId: prepared.answerId,
    question: prepared.request.question,
    collectionIds: prepared.request.collectionIds,
    chunks: prepared.sources.map((source) => ({
      n: source.n,
      chunkId: source.chunkId,
      documentId: source.documentId,
      versionId: source.versionId,
      pageNumber: source.pageNumber,
      contentHash: source.contentHash,
    })),
    promptHash: prepared.promptHash,
    promptTokens: prepared.promptTokens,
    model: {
      generatorId: dependencies.generator.id,
      sha256: dependencies.generator.modelSha256,
      contextTokens: dependencies.generator.contextTokens,
      embedderId: dependencies.embedder.id,
    },
    parameters: { maxTokens: prepared.generateRequest.maxTokens, ...prepared.generateRequest.sampling },
    answer,
    citations: citations.map(({ n, source }) => ({ n, chunkId: source.chunkId })),
    rejectedMarkers,
    status: failure ? "error" : "complete",
    errorCode: failure?.code ?? null,
  };
}
