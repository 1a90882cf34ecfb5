import type { AnswerEvent } from "../domain/answer-events";
import type { Folio } from "../runtime";
import { type AnswerDependencies, type AnswerRequest, prepareAnswer } from "./prepare-answer";
import { streamAnswer } from "./stream-answer";

/** Gemma's recommended nucleus settings; temperature and seed come from config. */
const topP = 0.95;
const topK = 64;

/**
 * Everything up to the first generated token: loads the models (503 with the fix when one is
 * missing), retrieves and packs the prompt. Errors here become HTTP errors; after it returns,
 * problems arrive as `error` events in the stream.
 */
export async function startAnswer(folio: Folio, request: AnswerRequest): Promise<AsyncIterable<AnswerEvent>> {
  const { config } = folio;
  const generator = await folio.generator();
  const dependencies: AnswerDependencies = {
    db: folio.database.db,
    ...(await folio.embeddingParts()),
    generator,
    settings: {
      retrievalTopK: config.retrievalTopK,
      maxAnswerTokens: config.generator.maxAnswerTokens,
      sampling: { temperature: config.generator.temperature, topP, topK, seed: config.generator.seed },
    },
  };
  const prepared = await prepareAnswer(dependencies, request);
  return streamAnswer(dependencies, prepared);
}
