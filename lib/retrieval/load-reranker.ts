import type { FolioConfig } from "../config";
import { OnnxReranker } from "../embeddings/onnx-reranker";
import { AppError, isAppError } from "../errors";
import { resolveRerankerModelDir } from "../models/catalog";
import { requireModel } from "../models/require-model";
import { getLogger } from "../observability/log";
import type { Reranker } from "./reranker";

/**
 * The reranker RERANK_MODEL names, loaded (RERANK_MAX_TOKENS, `threads` or MODEL_THREADS); null when
 * RERANK_MODEL is unset. A model that is set but missing or unusable throws
 * `unavailable:reranker_missing` (with the command that fetches it) or `unavailable:reranker_load_failed`.
 */
export async function loadReranker(
  config: FolioConfig,
  options: { threads?: number } = {},
): Promise<Reranker | null> {
  const modelDir = resolveRerankerModelDir(config);
  if (modelDir === undefined) return null;
  await requireModel("reranker", modelDir, config);
  try {
    return await OnnxReranker.create({
      modelDir,
      threads: options.threads ?? config.modelThreads,
      ...(config.rerank.maxTokens === undefined ? {} : { maxSequenceLength: config.rerank.maxTokens }),
    });
  } catch (error) {
    const isMissing = isAppError(error) && error.code === "unavailable:embedder_missing";
    throw new AppError(isMissing ? "unavailable:reranker_missing" : "unavailable:reranker_load_failed", {
      message: `The reranking model RERANK_MODEL=${config.rerank.model} cannot be used: ${(error as Error).message}`,
      details: { path: modelDir },
      cause: error,
      retryAfterSeconds: 60,
    });
  }
}

/** How long a reranker that failed to load is left alone before the next search tries again. */
const retryAfterMs = 60_000;

export interface RerankerSlot {
  /** The reranker, loading it on first use; null when off, or unusable now (logged, see `load`). */
  get(): Promise<Reranker | null>;
  /** The same, but a configured model that cannot be loaded throws its reason (for the model status). */
  load(): Promise<Reranker | null>;
  dispose(): Promise<void>;
}

/**
 * The process's reranker as search and answers use it: a model that is missing or broken never
 * fails a search — it goes on in the store's order, the problem is logged and shown with the
 * model status, and loading is tried again a minute later (so pulling the model needs no restart).
 */
export function createRerankerSlot(config: FolioConfig, override?: Reranker | null): RerankerSlot {
  let loading: Promise<Reranker | null> | undefined;
  let failedAt = Number.NEGATIVE_INFINITY;
  const load = () => {
    loading ??= (override === undefined ? loadReranker(config) : Promise.resolve(override)).catch(
      (error: unknown) => {
        loading = undefined;
        throw error;
      },
    );
    return loading;
  };
  return {
    load,
    get: async () => {
      if (Date.now() - failedAt < retryAfterMs) return null;
      try {
        return await load();
      } catch (error) {
        failedAt = Date.now();
        getLogger().warn("[rerank] RERANK_MODEL cannot be used; searching without reranking", { error });
        return null;
      }
    },
    dispose: async () => {
      const loaded = await loading?.catch(() => null);
      loading = undefined;
      await loaded?.dispose();
    },
  };
}
