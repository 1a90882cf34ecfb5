import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../../lib/config";
import { createFolio, type Folio } from "../../lib/runtime";
import { readGgufTokens, wordPieceFromGgufTokens } from "../../tests/fixtures/builders/gguf-vocabulary";
import { writeTinyEmbeddingModel } from "../../tests/fixtures/builders/tiny-embedding-model";

/** Which embedder the evaluation ingests and searches with. */
export type EvalEmbedder = "configured" | "test";

export interface EvalFolio {
  folio: Folio;
  /** What the figures were measured with, for the report. */
  embedderDescription: string;
  close(): Promise<void>;
}

/**
 * A complete Folio on a scratch DATA_DIR (its own PGlite database and LanceDB directory, removed
 * on close), configured from `environment` like the app — EMBEDDING_MODEL, MODELS_DIR,
 * CHUNK_MAX_TOKENS, FTS_LANGUAGE, RERANK_MODEL… — so the evaluation measures what this
 * configuration would serve, without touching its data. `test` swaps in the tests' tiny
 * bag-of-words embedder with bge's real vocabulary (where ../shared/models has it), so passages
 * are cut as bge-small would cut them while vectors cost nothing: its vector figures only prove
 * the mechanics.
 */
export async function createEvalFolio(options: {
  environment: Record<string, string | undefined>;
  embedder: EvalEmbedder;
}): Promise<EvalFolio> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "folio-eval-"));
  try {
    const environment: Record<string, string | undefined> = {
      ...options.environment,
      DATA_DIR: dataDir,
      DATABASE_URL: undefined,
      LANCEDB_URI: undefined,
      AUTO_PULL_MODELS: "false",
      // One embedding session for ingest and queries: they do not overlap here.
      INGEST_WORKER: "off",
    };
    let embedderDescription = `EMBEDDING_MODEL=${loadConfig(environment).embeddingModel}`;
    if (options.embedder === "test") {
      const vocabulary = await readBgeVocabulary(options.environment);
      const modelDir = path.join(dataDir, "models", "tiny-embedder");
      await writeTinyEmbeddingModel(modelDir, {
        dims: 64,
        variant: "token",
        maxSequenceLength: 512,
        vocabulary,
      });
      environment.EMBEDDING_MODEL = modelDir;
      embedderDescription = `the tests' tiny bag-of-words embedder (64 dims, ${vocabulary ? "bge's 30,522-token vocabulary" : "toy vocabulary"}, 512 tokens): vector figures prove the mechanics only`;
    }
    const folio = await createFolio(loadConfig(environment), { log: () => {} });
    return {
      folio,
      embedderDescription,
      close: async () => {
        await folio.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** bge's WordPiece vocabulary from the shared models directory beside the corpus, when present. */
async function readBgeVocabulary(
  environment: Record<string, string | undefined>,
): Promise<string[] | undefined> {
  const corpusDir = corpusDirOf(environment);
  const file = path.join(path.dirname(corpusDir), "models", "vocab", "ggml-vocab-bert-bge.gguf");
  if (!existsSync(file)) return undefined;
  return wordPieceFromGgufTokens(await readGgufTokens(file));
}

/** FOLIO_CORPUS_DIR, else ../shared/corpus beside the repository (commands run from its root). */
export function corpusDirOf(environment: Record<string, string | undefined>): string {
  return path.resolve(environment.FOLIO_CORPUS_DIR ?? "../shared/corpus");
}
