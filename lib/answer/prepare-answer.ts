import { randomUUID } from "node:crypto";
import type { Database } from "../../db/client";
import { canonicalJson } from "../audit/hash-chain";
import type { SourceRef } from "../domain/answer-events";
import type { Embedder } from "../embeddings/embedder";
import type { GenerateRequest, Generator, SamplingParameters } from "../llm/generator";
import { createContextReader } from "../retrieval/context-reader";
import { retrieveContext } from "../retrieval/retrieve-context";
import { sha256Hex } from "../text/sha256-hex";
import type { VectorStore } from "../vector-store/vector-store";
import { basePromptTokens, packPrompt, sourceTokens } from "./pack-prompt";
import { type ContextMode, selectContext } from "./select-context";

/**
 * Every source costs at least this many tokens (its <source> tag with id, title and page), so a
 * document with more passages than budget / this cannot fit whole and is not even read.
 */
const minimumSourceTokens = 16;
/** A document with more passages is never sent whole, whatever the budget. */
const maxWholeDocumentChunks = 2_000;

export interface AnswerSettings {
  retrievalTopK: number;
  maxAnswerTokens: number;
  /** Prompt tokens allowed (see `promptBudgetTokens`). */
  promptBudgetTokens: number;
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
  /** Whole documents, or passages with their neighbours; and how many documents they come from. */
  contextMode: ContextMode;
  documentCount: number;
  promptHash: string;
  retrievalMs: number;
  startedAt: number;
}

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
  const { generator } = dependencies;
  const budgetTokens = dependencies.settings.promptBudgetTokens;
  const selected = await selectContext({
    ranked: candidates,
    budgetTokens: budgetTokens - (await basePromptTokens(generator, request.question)),
    costOf: (passage) => sourceTokens(generator, { ...passage, n: 1 }),
    reader: createContextReader({
      db: dependencies.db,
      store: dependencies.store,
      collectionIds: request.collectionIds,
      maxWholeDocumentChunks: Math.min(
        maxWholeDocumentChunks,
        Math.floor(budgetTokens / minimumSourceTokens),
      ),
    }),
  });
  const retrievalMs = performance.now() - startedAt;
  const prompt = await packPrompt({
    question: request.question,
    candidates: selected.passages,
    generator,
    budgetTokens,
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
    contextMode: selected.mode,
    documentCount: new Set(prompt.sources.map((source) => source.documentId)).size,
    promptHash: hashPrompt(generateRequest),
    retrievalMs,
    startedAt,
  };
}

/** sha256 over exactly what the generator receives: system prompt and messages. */
export function hashPrompt(request: Pick<GenerateRequest, "system" | "messages">): string {
  return sha256Hex(canonicalJson({ system: request.system, messages: request.messages }));
}
