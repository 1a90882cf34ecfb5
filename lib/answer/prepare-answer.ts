import { randomUUID } from "node:crypto";
import { createThread } from "../../db/queries/threads";
import { canonicalJson } from "../audit/hash-chain";
import {
  type EarlierTurn,
  followUpQuery,
  historyMessages,
  interleaveRankings,
  type ThreadContext,
  threadTitle,
} from "../conversations/thread-context";
import type { PromptImages, SourceRef } from "../domain/answer-events";
import type { ChatMessage, GenerateRequest, Generator, SamplingParameters } from "../llm/generator";
import { createContextReader } from "../retrieval/context-reader";
import {
  type RetrievalDependencies,
  type RetrievedPassage,
  readPassages,
  retrieveContext,
} from "../retrieval/retrieve-context";
import { sha256Hex } from "../text/sha256-hex";
import { type FigureImageResolver, hasFigureImage } from "./figure-images";
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

export interface AnswerDependencies extends RetrievalDependencies {
  generator: Generator;
  /** Finds a figure passage's image; absent, figures always go as text. */
  imageOf?: FigureImageResolver;
  settings: AnswerSettings;
}

export interface AnswerRequest {
  question: string;
  /** The conversation it continues (earlier turns), or a new one. */
  thread?: ThreadContext;
  /** Decided on the server from the session, at the moment of the request. */
  collectionIds: readonly string[];
  actor: string;
  signal?: AbortSignal;
}

/** What was decided before any text is generated; failures up to here are plain HTTP errors. */
export interface PreparedAnswer {
  answerId: string;
  /** The conversation: the one continued, or a new one (created before the first event). */
  threadId: string;
  request: AnswerRequest;
  sources: SourceRef[];
  generateRequest: GenerateRequest;
  promptTokens: number;
  /** Window tokens left for the prompt once the answer's share is reserved. */
  budgetTokens: number;
  /** Whole documents, or passages with their neighbours; and how many documents they come from. */
  contextMode: ContextMode;
  documentCount: number;
  /** Figures sent as images, and those given as text (and why). */
  images: PromptImages;
  promptHash: string;
  retrievalMs: number;
  /** The reranker that ordered the passages (RERANK_MODEL); null when the search order stood. */
  rerankerId: string | null;
  startedAt: number;
}

export async function prepareAnswer(
  dependencies: AnswerDependencies,
  request: AnswerRequest,
): Promise<PreparedAnswer> {
  const startedAt = performance.now();
  const earlier = await stillReadable(dependencies, request.collectionIds, request.thread?.earlier ?? []);
  const candidates = await retrieveCandidates(dependencies, request, earlier);
  const isReranked = candidates.some((passage) => passage.rerankScore !== undefined);
  const { generator } = dependencies;
  const budgetTokens = dependencies.settings.promptBudgetTokens;
  const history = await historyWithin(generator, earlier, Math.floor(budgetTokens / historyShareOfBudget));
  const { vision, imageTokens } = generator.capabilities;
  const imageCost = vision && dependencies.imageOf ? imageTokens : 0;
  const selected = await selectContext({
    ranked: candidates,
    budgetTokens: budgetTokens - (await basePromptTokens(generator, request.question, history)),
    costOf: async (passage) =>
      (await sourceTokens(generator, { ...passage, n: 1 })) + (hasFigureImage(passage) ? imageCost : 0),
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
    ...(dependencies.imageOf ? { imageOf: dependencies.imageOf } : {}),
    history,
  });
  const generateRequest: GenerateRequest = {
    system: prompt.system,
    messages: prompt.messages,
    maxTokens: dependencies.settings.maxAnswerTokens,
    sampling: dependencies.settings.sampling,
    signal: request.signal,
  };
  const threadId =
    request.thread?.id ??
    (
      await createThread({
        db: dependencies.db,
        ownerId: request.actor,
        title: threadTitle(request.question),
      })
    ).id;
  return {
    answerId: randomUUID(),
    threadId,
    request,
    sources: prompt.sources,
    generateRequest,
    promptTokens: prompt.promptTokens,
    budgetTokens: prompt.budgetTokens,
    contextMode: selected.mode,
    documentCount: new Set(prompt.sources.map((source) => source.documentId)).size,
    images: prompt.images,
    promptHash: hashPrompt(generateRequest),
    retrievalMs,
    rerankerId: isReranked ? (dependencies.reranker?.id ?? null) : null,
    startedAt,
  };
}

/** Earlier turns may take at most this fraction (1/n) of the prompt budget; the oldest go first. */
const historyShareOfBudget = 4;

/**
 * Candidates best first. A follow-up is searched twice — alone, and with the previous question
 * that gives it its subject — and the passages the previous answer cited stay available after
 * the new hits, so "what about the second one?" can still be answered from them.
 */
async function retrieveCandidates(
  dependencies: AnswerDependencies,
  request: AnswerRequest,
  earlier: readonly EarlierTurn[],
): Promise<RetrievedPassage[]> {
  const search = (question: string) =>
    retrieveContext(dependencies, {
      question,
      collectionIds: request.collectionIds,
      limit: dependencies.settings.retrievalTopK,
    });
  const hits = await search(request.question);
  const rewritten = followUpQuery(earlier, request.question);
  if (rewritten === null) return hits;
  const carried = await readPassages(
    dependencies,
    request.collectionIds,
    earlier.at(-1)?.citedChunkIds ?? [],
  );
  const ranked = interleaveRankings(hits, await search(rewritten));
  const found = new Set(ranked.map((passage) => passage.chunkId));
  return [...ranked, ...carried.filter((passage) => !found.has(passage.chunkId))];
}

/**
 * The earlier turns whose answers the asker could still have been given: every passage a turn
 * cited must still be readable (a revoked grant, a deleted or replaced document takes the turn
 * out of the history, so nothing derived from it reaches the model). Turns that cited nothing
 * (the no-evidence answer) stay.
 */
async function stillReadable(
  dependencies: AnswerDependencies,
  collectionIds: readonly string[],
  earlier: readonly EarlierTurn[],
): Promise<EarlierTurn[]> {
  const cited = [...new Set(earlier.flatMap((turn) => turn.citedChunkIds))];
  const readable = new Set(
    (await readPassages(dependencies, collectionIds, cited)).map((passage) => passage.chunkId),
  );
  return earlier.filter((turn) => turn.citedChunkIds.every((chunkId) => readable.has(chunkId)));
}

/** The last turns whose messages fit in `maxTokens`, as chat history. */
async function historyWithin(
  generator: Generator,
  earlier: readonly EarlierTurn[],
  maxTokens: number,
): Promise<ChatMessage[]> {
  for (let first = 0; first < earlier.length; first += 1) {
    const messages = historyMessages(earlier.slice(first));
    const tokens = await generator.countPromptTokens({ system: "", messages });
    if (tokens <= maxTokens) return messages;
  }
  return [];
}

/**
 * sha256 over exactly what the generator receives: system prompt and messages, each image by
 * the sha256 of its bytes (where the file lies on this machine is not part of the prompt).
 */
export function hashPrompt(request: Pick<GenerateRequest, "system" | "messages">): string {
  const messages = request.messages.map((message) =>
    typeof message.content === "string"
      ? message
      : {
          role: message.role,
          content: message.content.map((part) =>
            part.type === "text" ? part : { type: "image", sha256: part.image.sha256 },
          ),
        },
  );
  return sha256Hex(canonicalJson({ system: request.system, messages }));
}
