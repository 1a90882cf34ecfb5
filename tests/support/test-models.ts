import { mkdir } from "node:fs/promises";
import path from "node:path";
import { writeTinyEmbeddingModel } from "../fixtures/builders/tiny-embedding-model";
import { scriptText, writeTinyGguf } from "../fixtures/builders/tiny-gguf";

/**
 * What the scripted test GGUF answers to any question: real llama.cpp inference over crafted
 * weights, so the citation path is exercised with a real model. `[42]` names no source (at most RETRIEVAL_TOP_K=12 sources are sent): it must
 * be dropped and flagged.
 */
export const answerScript = [
  "▁The",
  "▁documents",
  "▁state",
  "▁this",
  "▁[1]",
  "▁and",
  "▁also",
  "▁[2]",
  "▁but",
  "▁not",
  "▁[42]",
  ".",
];
export const expectedAnswerText = scriptText(answerScript);

export interface TestModels {
  generatorPath: string;
  embedderDir: string;
}

/** Builds the tiny generator and embedder the tests use, in milliseconds, under `directory`. */
export async function buildTestModels(directory: string): Promise<TestModels> {
  await mkdir(directory, { recursive: true });
  const generatorPath = await writeTinyGguf(path.join(directory, "tiny-scripted.gguf"), {
    script: answerScript,
    contextLength: 4096,
  });
  const { directory: embedderDir } = await writeTinyEmbeddingModel(path.join(directory, "tiny-embedder"), {
    dims: 64,
    variant: "token",
    maxSequenceLength: 256,
  });
  return { generatorPath, embedderDir };
}

/** Environment that points Folio at the test models, sized for a 2-core machine. */
export function testModelEnvironment(models: TestModels, modelsDir: string): Record<string, string> {
  return {
    MODELS_DIR: modelsDir,
    GENERATOR_MODEL: models.generatorPath,
    EMBEDDING_MODEL: models.embedderDir,
    MODEL_THREADS: "1",
    GENERATOR_CONTEXT_TOKENS: "4096",
    GENERATOR_MAX_ANSWER_TOKENS: "64",
    CHUNK_MAX_TOKENS: "120",
  };
}
