import type { AnswerEvent } from "../domain/answer-events";
import { recordAnswer } from "../observability/metrics";
import type { Folio } from "../runtime";
import { configuredAnswerChecks } from "./answer-checks";
import { holdingSlot } from "./answer-queue";
import { createFigureImageResolver } from "./figure-images";
import { promptBudgetTokens } from "./prefill-speed";
import { type AnswerDependencies, type AnswerRequest, prepareAnswer } from "./prepare-answer";
import { streamAnswer } from "./stream-answer";

/** Gemma's recommended nucleus settings; temperature and seed come from config. */
const topP = 0.95;
const topK = 64;

/**
 * Everything up to the first generated token: takes a slot in the answer queue (429 when it is
 * full), loads the models (503 with the fix when one is missing), retrieves and packs the prompt.
 * Errors here become HTTP errors; after it returns, problems arrive as `error` events in the
 * stream, and the slot is freed when the stream ends.
 */
export async function startAnswer(folio: Folio, request: AnswerRequest): Promise<AsyncIterable<AnswerEvent>> {
  let release: (() => void) | undefined;
  try {
    release = folio.answerQueue.admit();
    return holdingSlot(await prepareAndStream(folio, request), release);
  } catch (error) {
    release?.();
    recordAnswer("rejected");
    throw error;
  }
}

async function prepareAndStream(folio: Folio, request: AnswerRequest): Promise<AsyncIterable<AnswerEvent>> {
  const { config } = folio;
  const generator = await folio.generator();
  const dependencies: AnswerDependencies = {
    db: folio.database.db,
    ...(await folio.retrievalParts()),
    generator,
    imageOf: createFigureImageResolver({ db: folio.database.db, derived: folio.derived }),
    settings: {
      retrievalTopK: config.retrievalTopK,
      maxAnswerTokens: config.generator.maxAnswerTokens,
      promptBudgetTokens: promptBudgetTokens({
        contextTokens: generator.capabilities.contextTokens,
        maxAnswerTokens: config.generator.maxAnswerTokens,
        prefillTokensPerSecond: await folio.prefillTokensPerSecond(),
        prefillSeconds: config.generator.prefillSeconds,
      }),
      sampling: { temperature: config.generator.temperature, topP, topK, seed: config.generator.seed },
    },
  };
  const prepared = await prepareAnswer(dependencies, request);
  return streamAnswer(dependencies, prepared, await configuredAnswerChecks(config, generator));
}
