import path from "node:path";
import { type DatabaseHandle, openDatabase } from "../db/client";
// The composition root is the one module of lib/ that knows the ingest pipeline: it wires every
// part together for every entry point (web server, worker, CLIs). biome.json allows this import here only.
import { createIngestService, type IngestService } from "../ingest/ingest-service";
import { disposeCrossEncoders } from "./answer/answer-checks";
import { AnswerQueue } from "./answer/answer-queue";
import { prefillTokensPerSecond } from "./answer/prefill-speed";
import { createCheckpointSchedule } from "./audit/checkpoint-schedule";
import type { FolioConfig } from "./config";
import type { DeletionDependencies } from "./documents/delete-documents";
import type { ModelAvailability, ModelKind } from "./domain/model-status";
import type { Embedder } from "./embeddings/embedder";
import { OnnxEmbedder } from "./embeddings/onnx-embedder";
import { AppError, type ErrorCode, isAppError } from "./errors";
import { GoldenRunner } from "./golden/golden-runner";
import type { Generator } from "./llm/generator";
import { IsolatedLlamaCppGenerator } from "./llm/isolated-llama-cpp-generator";
import { LlamaNodeGenerator } from "./llm/llama-node-generator";
import { OpenAiGenerator } from "./llm/openai-generator";
import { RoutingGenerator } from "./llm/routing-generator";
import { resolveEmbeddingModelDir, resolveGeneratorModelPath } from "./models/catalog";
import { getFileSha256 } from "./models/manifest";
import { requireModel } from "./models/require-model";
import { describeVisionSetup, type VisionProblem } from "./models/vision-setup";
import { getLogger } from "./observability/log";
import { createPurgeSchedule } from "./retention/purge-schedule";
import { createRerankerSlot } from "./retrieval/load-reranker";
import type { Reranker } from "./retrieval/reranker";
import type { RetrievalDependencies } from "./retrieval/retrieve-context";
import { BlobStore } from "./storage/blob-store";
import { DerivedStore } from "./storage/derived-store";
import { createIncomingSweep } from "./storage/incoming-sweep";
import { LanceDbStore } from "./vector-store/lancedb-store";
import { createOptimizeSchedule } from "./vector-store/optimize-schedule";
import type { VectorStore } from "./vector-store/vector-store";

/**
 * Everything a Folio process needs, built once from validated config by `createFolio` — the only
 * place a backend is chosen. Models load lazily (Folio starts and serves uploads and listings
 * without them) and a failed load is retried on the next call, so pulling a missing model needs
 * no restart.
 */
export interface Folio {
  readonly config: FolioConfig;
  readonly database: DatabaseHandle;
  readonly blobs: BlobStore;
  /** Figure crops and page previews made from the originals. */
  readonly derived: DerivedStore;
  embedder(): Promise<Embedder>;
  /**
   * The chunk store. An existing table opens with its own vector size, without the embedding
   * model (deleting documents needs no model); a new one is sized by the embedder.
   */
  store(): Promise<VectorStore>;
  /** The embedder and the store it searches and fills, checked to agree on the vector size. */
  embeddingParts(): Promise<{ embedder: Embedder; store: VectorStore }>;
  /**
   * What search and answers retrieve with: the embedding parts, and the reranker when RERANK_MODEL
   * is set and loads (a missing or broken one is logged and shown in `modelStatus`, never an error here).
   */
  retrievalParts(): Promise<Omit<RetrievalDependencies, "db">>;
  generator(): Promise<Generator>;
  /** Prompt tokens per second this machine's generator reads (configured, or measured once and stored). */
  prefillTokensPerSecond(): Promise<number>;
  /** Admission in front of the generator (MAX_QUEUED_ANSWERS). */
  readonly answerQueue: AnswerQueue;
  modelStatus(): Promise<ModelAvailability[]>;
  /** Upload acceptance and the ingest worker (started only when `startIngestWorker` is set). */
  readonly ingest: IngestService;
  /** Golden-question runs: queued anywhere, run where the ingest worker runs (docs/golden-questions.md). */
  readonly golden: GoldenRunner;
  close(): Promise<void>;
}

export interface FolioOptions {
  /** Run the ingest worker loop in this process. @default false */
  startIngestWorker?: boolean;
  /** Where the worker and the schedules log. @default the process logger (lib/observability/log.ts), at info */
  log?: (message: string) => void;
  /** Replacements injected by tests only (a recording generator, a fault-injecting store). */
  overrides?: {
    embedder?: Embedder;
    generator?: Generator;
    store?: VectorStore;
    reranker?: Reranker | null;
  };
}

export async function createFolio(config: FolioConfig, options: FolioOptions = {}): Promise<Folio> {
  const { overrides = {} } = options;
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    pgliteDir: config.pgliteDir,
    migrate: config.databaseMigrate,
  });
  const blobs = new BlobStore(config.blobsDir);
  const derived = new DerivedStore(config.derivedDir);
  // Every process that may receive uploads clears what interrupted ones left (by age: safe across processes).
  const incomingSweep = createIncomingSweep({
    blobs,
    maxAgeMinutes: config.limits.incomingMaxAgeMinutes,
    log: options.log ?? ((message: string) => getLogger().info(message)),
  });
  incomingSweep.start();
  const embedder = lazy(async () => overrides.embedder ?? loadEmbedder(config, config.modelThreads));
  // Where the worker runs, it embeds with a session of its own (INGEST_THREADS): a question's
  // embedding then never queues behind an ingest batch, and ingest cannot take every core.
  const ingestEmbedder =
    config.ingestWorker === "off" || overrides.embedder
      ? embedder
      : lazy(async () => loadEmbedder(config, config.ingestThreads));
  const store = lazy(async () => {
    if (overrides.store) return overrides.store;
    // A new table is sized by whichever embedder is loaded (a worker process loads only its own).
    const dims =
      (await LanceDbStore.existingDims({ uri: config.lanceUri })) ??
      (await (embedder.peek() ?? ingestEmbedder.get())).dims;
    return LanceDbStore.create({
      uri: config.lanceUri,
      dims,
      readConsistencySeconds: config.lance.readConsistencySeconds,
      ann: config.lance.ann,
      fullText: config.lance.fullText,
    });
  });
  const embeddingPartsOf = (chosen: Lazy<Embedder>) => async () => {
    const [loadedEmbedder, loadedStore] = [await chosen.get(), await store.get()];
    if (loadedEmbedder.dims !== loadedStore.dims) {
      throw new AppError("unavailable:embedding_dims_mismatch", {
        message:
          `The chunk table holds ${loadedStore.dims}-dimensional vectors but the embedding model ${loadedEmbedder.id} makes ` +
          `${loadedEmbedder.dims}. Configure the embedding model the documents were indexed with (EMBEDDING_MODEL), or re-index them.`,
      });
    }
    return { embedder: loadedEmbedder, store: loadedStore };
  };
  const embeddingParts = embeddingPartsOf(embedder);
  const reranker = createRerankerSlot(config, overrides.reranker);
  const log = options.log ?? ((message: string) => getLogger().info(message));
  // Why the loaded answering model reads no images although it could (shown with its status).
  let visionProblem: (VisionProblem & { code: ErrorCode }) | undefined;
  const generator = lazy(
    async () =>
      overrides.generator ??
      loadGenerator(config, {
        log,
        reportVisionOff: (problem) => {
          visionProblem = problem;
          log(`Vision off: ${problem.message}`);
        },
      }),
  );
  const prefillSpeed = lazy(async () =>
    config.generator.prefillTokensPerSecond !== undefined
      ? config.generator.prefillTokensPerSecond
      : prefillTokensPerSecond(await generator.get(), {
          cacheFile: path.join(config.dataDir, "prefill-speed.json"),
          threads: config.modelThreads,
        }),
  );
  const answerQueue = new AnswerQueue(config.maxQueuedAnswers);
  const ingest = createIngestService({
    config,
    db: database.db,
    blobs,
    derived,
    embeddingParts: embeddingPartsOf(ingestEmbedder),
    // The in-process worker steps aside between embedding batches while answers run (INGEST_YIELD_MS).
    answersInProgress: () => answerQueue.inProgress,
    log,
  });
  const golden = new GoldenRunner({
    db: database.db,
    // The worker's own embedder (stepping aside for answers), store and the reranker: the retrieval /api/ask runs.
    retrieval: async () => {
      const { db, store, embedder } = await ingest.pipelineDependencies();
      const usedReranker = await reranker.get();
      return {
        dependencies: {
          db,
          store,
          embedder,
          reranker: usedReranker,
          rerankCandidates: config.rerank.candidates,
        },
        modelIds: { embedder: embedder.id, reranker: usedReranker?.id ?? null },
      };
    },
    k: config.golden.k,
    depth: config.golden.depth,
    alertDrop: config.golden.alertDrop,
    debounceMs: config.golden.debounceSeconds * 1000,
    leaseMs: config.ingestLeaseSeconds * 1000,
    log,
  });
  const checkpoints = createCheckpointSchedule({
    db: database.db,
    keyFile: config.auditKeyFile,
    policy: {
      everyEvents: config.auditCheckpoint.everyEvents,
      everyMs: config.auditCheckpoint.everyMinutes * 60_000,
    },
    log,
  });
  const retentionPurge = createPurgeSchedule({
    db: database.db,
    deletion: async () => ({ db: database.db, store: await store.get(), blobs, derived }),
    intervalHours: config.retentionPurgeHours,
    log,
  });
  const lanceOptimize = createOptimizeSchedule({
    db: database.db,
    // Only a chunk table that exists (no embedding model needed to open it); never a test's stand-in.
    store: async () => {
      if ((await LanceDbStore.existingDims({ uri: config.lanceUri })) === undefined) return undefined;
      const loaded = await store.get();
      return loaded instanceof LanceDbStore ? loaded : undefined;
    },
    everyMs: config.lance.optimizeEveryMinutes * 60_000,
    keepVersionsMs: config.lance.keepVersionsMinutes * 60_000,
    log,
  });
  if (options.startIngestWorker) {
    ingest.worker.start();
    golden.start();
    await checkpoints.start();
    retentionPurge.start();
    lanceOptimize.start();
  }

  return {
    config,
    database,
    blobs,
    derived,
    embedder: embedder.get,
    store: store.get,
    embeddingParts,
    retrievalParts: async () => ({
      ...(await embeddingParts()),
      reranker: await reranker.get(),
      rerankCandidates: config.rerank.candidates,
    }),
    generator: generator.get,
    answerQueue,
    prefillTokensPerSecond: prefillSpeed.get,
    modelStatus: async () => [
      await availability("embedder", embeddingParts),
      await availability("generator", generator.get).then((status) =>
        status.isReady && visionProblem ? { ...status, problem: visionProblem } : status,
      ),
      ...(config.rerank.model === undefined ? [] : [await availability("reranker", reranker.load)]),
    ],
    ingest,
    golden,
    close: async () => {
      await golden.stop();
      await ingest.close();
      await incomingSweep.stop();
      await checkpoints.stop();
      await retentionPurge.stop();
      await lanceOptimize.stop();
      await Promise.allSettled([
        generator.peek()?.then((loaded) => loaded.dispose()),
        store.peek()?.then((loaded) => loaded.close()),
        embedder.peek()?.then((loaded) => loaded.dispose()),
        ingestEmbedder === embedder ? undefined : ingestEmbedder.peek()?.then((loaded) => loaded.dispose()),
        disposeCrossEncoders(),
        reranker.dispose(),
      ]);
      await database.close();
    },
  };
}

/**
 * What deleting documents needs in a process that opened only the database (the admin CLI's
 * `retention purge`): the originals, their derived files and the chunk table, opened without any
 * model when a deletion first reaches it (under the index writer lock). With no chunk table there
 * is no index row to delete.
 */
export function openDeletionParts(config: FolioConfig): Omit<DeletionDependencies, "db"> & {
  close(): Promise<void>;
} {
  let table: Promise<LanceDbStore> | undefined;
  const openTable = async () => {
    if (!table) {
      const dims = await LanceDbStore.existingDims({ uri: config.lanceUri });
      if (dims === undefined) return undefined;
      table ??= LanceDbStore.create({
        uri: config.lanceUri,
        dims,
        readConsistencySeconds: config.lance.readConsistencySeconds,
        fullText: config.lance.fullText,
      });
    }
    return table;
  };
  return {
    blobs: new BlobStore(config.blobsDir),
    derived: new DerivedStore(config.derivedDir),
    store: {
      deleteDocument: async (documentId) => (await openTable())?.deleteDocument(documentId),
      deleteCollection: async (collectionId) => (await openTable())?.deleteCollection(collectionId),
    },
    close: async () => (await table)?.close(),
  };
}

/** Whether `load` succeeds, and if not the problem a user can act on (shared with /api/ready). */
export async function availability(
  kind: ModelKind,
  load: () => Promise<unknown>,
): Promise<ModelAvailability> {
  try {
    await load();
    return { kind, isReady: true };
  } catch (error) {
    const problem = isAppError(error)
      ? { code: error.code, message: error.message, command: error.details?.command as string | undefined }
      : { code: "internal:unexpected", message: "The model failed to load; see the server log." };
    return { kind, isReady: false, problem };
  }
}

async function loadEmbedder(config: FolioConfig, threads: number): Promise<Embedder> {
  const modelDir = resolveEmbeddingModelDir(config);
  await requireModel("embedder", modelDir, config);
  return OnnxEmbedder.create({ modelDir, threads });
}

export interface VisionReporting {
  log: (message: string) => void;
  /** The model loads text-only although it could read images. */
  reportVisionOff: (problem: VisionProblem & { code: ErrorCode }) => void;
}

/** The configured answering model (exported for tests of the choice; `createFolio` loads it lazily). */
export async function loadGenerator(config: FolioConfig, reporting: VisionReporting): Promise<Generator> {
  switch (config.generator.backend) {
    case "llama-cpp": {
      const modelPath = resolveGeneratorModelPath(config);
      await requireModel("generator", modelPath, config);
      const modelSha256 = await getFileSha256({ modelsDir: config.modelsDir, filePath: modelPath });
      // In a child process of its own: a native crash of llama.cpp must not end this process.
      const text = await IsolatedLlamaCppGenerator.create({
        modelPath,
        modelSha256,
        contextTokens: config.generator.contextTokens,
        threads: config.modelThreads,
      });
      try {
        return await withVision(config, text, modelPath, reporting);
      } catch (error) {
        await text.dispose();
        throw error;
      }
    }
    case "openai": {
      const { baseUrl, apiKey, requestTimeoutMs, idleTimeoutMs, vision, imageTokens, imageEdgePixels } =
        config.generator.openai;
      return OpenAiGenerator.create({
        baseUrl: baseUrl ?? "",
        model: config.generator.model,
        ...(apiKey ? { apiKey } : {}),
        contextTokens: config.generator.contextTokens,
        requestTimeoutMs,
        idleTimeoutMs,
        ...(vision
          ? {
              vision: {
                maxImagesPerPrompt: config.generator.maxImagesPerPrompt,
                imageTokens,
                imageEdgePixels,
              },
            }
          : {}),
      });
    }
  }
}

/**
 * The text generator alone, or routed with the vision adapter when the model has its projector
 * (GENERATOR_MMPROJ, or the catalog's projector of GENERATOR_MODEL, when present). Both map the
 * same GGUF, so its weights sit once in the page cache. A projector named in GENERATOR_MMPROJ that
 * is missing or does not fit makes the answering model unavailable (with the fix); the catalog's
 * projector, merely absent or unfit, leaves a text-only model and a reported problem.
 */
async function withVision(
  config: FolioConfig,
  text: Generator,
  modelPath: string,
  { log, reportVisionOff }: VisionReporting,
): Promise<Generator> {
  if (config.generator.maxImagesPerPrompt === 0) return text;
  const setup = await describeVisionSetup(config);
  const { projector, problem } = setup;
  if (!projector) {
    if (problem) reportVisionOff({ ...problem, code: "unavailable:generator_missing" });
    return text;
  }
  if (!setup.isProjectorPresent || problem) {
    const code = setup.isProjectorPresent
      ? "unavailable:generator_load_failed"
      : "unavailable:generator_missing";
    const reported = problem ?? { message: `The vision projector ${projector.path} is missing.` };
    if (!projector.isConfigured) {
      reportVisionOff({ ...reported, code });
      return text;
    }
    throw new AppError(code, {
      message: `${reported.message} (GENERATOR_MMPROJ=${config.generator.mmproj})`,
      details: { path: projector.path, ...(reported.command ? { command: reported.command } : {}) },
      retryAfterSeconds: 60,
    });
  }
  const projectorSha256 = await getFileSha256({ modelsDir: config.modelsDir, filePath: projector.path });
  let vision: LlamaNodeGenerator;
  try {
    vision = await LlamaNodeGenerator.create({
      modelPath,
      projectorPath: projector.path,
      modelSha256: text.modelSha256,
      // The text side was sized to free memory; the vision side takes no larger a window.
      contextTokens: text.capabilities.contextTokens,
      threads: config.modelThreads,
      maxImagesPerPrompt: config.generator.maxImagesPerPrompt,
    });
  } catch (error) {
    if (projector.isConfigured || !isAppError(error)) throw error;
    reportVisionOff({ message: error.message, code: error.code });
    return text;
  }
  log(
    `Vision on: ${path.basename(projector.path)} beside ${path.basename(modelPath)}, ` +
      `${vision.capabilities.imageTokens} tokens an image, at most ${vision.capabilities.maxImagesPerPrompt} a prompt`,
  );
  return new RoutingGenerator({
    text,
    vision,
    id: `${text.id}+mmproj:${path.basename(projector.path)}`,
    // The audit trail records both files: the answer depends on the projector too.
    modelSha256: `${text.modelSha256}+${projectorSha256}`,
  });
}

interface Lazy<T> {
  get: () => Promise<T>;
  /** The value's promise if loading has succeeded or is under way. */
  peek: () => Promise<T> | undefined;
}

/** Loads once; a failed load is forgotten so the next `get` tries again. */
function lazy<T>(load: () => Promise<T>): Lazy<T> {
  let pending: Promise<T> | undefined;
  return {
    get: () => {
      pending ??= load().catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
      return pending;
    },
    peek: () => pending,
  };
}
