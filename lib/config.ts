import { availableParallelism } from "node:os";
import path from "node:path";
import { z } from "zod";
import {
  type AnnIndexPolicy,
  type AnnSearchSettings,
  annIndexTypes,
  defaultAnnIndexPolicy,
  defaultAnnSearchSettings,
} from "./vector-store/ann-settings";
import { type FullTextSettings, fullTextLanguages } from "./vector-store/full-text-settings";

/**
 * The only reader of `process.env`. Parsed once at start; an invalid value fails fast with a
 * message naming the variable. Every variable and its default is listed in the README.
 */
const integer = (defaultValue: number) => z.coerce.number().int().positive().default(defaultValue);

const environmentSchema = z.object({
  DATA_DIR: z.string().min(1).default("./data"),
  DATABASE_URL: z.string().url().optional(),
  DATABASE_MIGRATE: z.enum(["true", "false"]).default("true"),
  APP_DATABASE_ROLE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, "a PostgreSQL role name: lower-case letters, digits and _")
    .optional(),
  APP_DATABASE_PASSWORD: z.string().min(1).optional(),
  LANCEDB_URI: z.string().min(1).optional(),
  LANCEDB_READ_CONSISTENCY_SECONDS: z.coerce.number().min(0).default(1),
  LANCEDB_OPTIMIZE_MINUTES: z.coerce.number().int().min(0).default(10),
  LANCEDB_CLEANUP_AFTER_MINUTES: z.coerce.number().int().min(0).default(60),
  LANCEDB_ANN_INDEX: z.enum([...annIndexTypes, "off"]).default(defaultAnnIndexPolicy.indexType),
  // Training quantizers needs a few hundred rows at least.
  LANCEDB_ANN_MIN_ROWS: z.coerce.number().int().min(1000).default(defaultAnnIndexPolicy.minRows),
  LANCEDB_ANN_RETRAIN_GROWTH: z.coerce.number().min(1.1).default(defaultAnnIndexPolicy.retrainGrowthFactor),
  LANCEDB_ANN_NPROBES: integer(defaultAnnSearchSettings.nprobes),
  LANCEDB_ANN_REFINE_FACTOR: z.coerce.number().int().min(0).default(defaultAnnSearchSettings.refineFactor),
  LANCEDB_ANN_EF: z.coerce.number().int().min(0).default(defaultAnnSearchSettings.ef),
  FTS_LANGUAGE: z.enum([...fullTextLanguages, "none"]).default("English"),
  MODELS_DIR: z.string().min(1).default("./models"),
  GENERATOR_BACKEND: z.enum(["llama-cpp", "openai"]).default("llama-cpp"),
  GENERATOR_MODEL: z.string().min(1).default("gemma-4-e2b-it"),
  GENERATOR_CONTEXT_TOKENS: integer(131_072),
  GENERATOR_MAX_ANSWER_TOKENS: integer(1024),
  GENERATOR_TEMPERATURE: z.coerce.number().min(0).max(2).default(0.2),
  GENERATOR_SEED: z.coerce.number().int().nonnegative().default(42),
  GENERATOR_MMPROJ: z.string().min(1).optional(),
  ANSWER_MAX_IMAGES: z.coerce.number().int().min(0).max(32).default(4),
  ANSWER_PREFILL_SECONDS: integer(30),
  ANSWER_PREFILL_TOKENS_PER_SECOND: z.coerce.number().int().positive().optional(),
  OPENAI_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_TIMEOUT_MS: integer(30_000),
  OPENAI_IDLE_TIMEOUT_MS: integer(60_000),
  OPENAI_VISION: z.enum(["true", "false"]).default("false"),
  OPENAI_IMAGE_TOKENS: integer(280),
  OPENAI_IMAGE_EDGE_PIXELS: integer(896),
  EMBEDDING_MODEL: z.string().min(1).default("bge-small-en-v1.5"),
  MODEL_THREADS: integer(availableParallelism()),
  INGEST_THREADS: integer(Math.max(1, Math.floor(availableParallelism() / 2))),
  INGEST_YIELD_MS: z.coerce.number().int().min(0).default(1000),
  MAX_UPLOAD_BYTES: integer(100 * 1024 * 1024),
  COLLECTION_QUOTA_BYTES: z.coerce.number().int().nonnegative().default(0),
  MIN_FREE_DISK_BYTES: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(256 * 1024 * 1024),
  INCOMING_MAX_AGE_MINUTES: integer(60),
  MAX_PDF_PAGES: integer(2000),
  PARSE_TIMEOUT_MS: integer(1_800_000),
  PARSE_MEMORY_MB: integer(1024),
  PARSE_PAGE_TIMEOUT_MS: integer(30_000),
  PARSE_PROCESSES: integer(availableParallelism()),
  OCR_LANGUAGES: z
    .string()
    .regex(/^[a-z_]{3,16}(\+[a-z_]{3,16})*$/, "languages like eng or eng+deu")
    .default("eng"),
  OCR_WORKERS: integer(Math.max(1, Math.floor(availableParallelism() / 2))),
  MAX_IMAGE_PIXELS: integer(50_000_000),
  OFFICE_MAX_UNCOMPRESSED_MB: integer(200),
  CHUNK_MAX_TOKENS: integer(256),
  RETRIEVAL_TOP_K: integer(12),
  RERANK_MODEL: z.string().min(1).optional(),
  RERANK_CANDIDATES: integer(20),
  RERANK_MAX_TOKENS: z.coerce.number().int().min(8).optional(),
  GOLDEN_K: z.coerce.number().int().min(1).max(100).default(5),
  GOLDEN_DEPTH: z.coerce.number().int().min(1).max(100).default(20),
  GOLDEN_ALERT_DROP: z.coerce.number().min(0).max(1).default(0),
  GOLDEN_DEBOUNCE_SECONDS: z.coerce.number().min(0).default(15),
  ANSWER_MIN_EVIDENCE: z.coerce.number().min(0).max(1).default(0.1),
  CLAIM_CHECK_MODEL: z.string().min(1).optional(),
  CLAIM_CHECK_GENERATOR: z.enum(["true", "false"]).default("false"),
  CLAIM_CHECK_GENERATOR_MAX: z.coerce.number().int().min(0).max(64).default(3),
  MAX_QUEUED_ANSWERS: integer(8),
  AUDIT_KEY_FILE: z.string().min(1).optional(),
  RETENTION_PURGE_HOURS: integer(24),
  AUDIT_CHECKPOINT_EVENTS: integer(1000),
  AUDIT_CHECKPOINT_MINUTES: integer(10),
  INGEST_WORKER: z.enum(["in-process", "off"]).default("in-process"),
  INGEST_MAX_ATTEMPTS: integer(3),
  INGEST_CONCURRENCY: integer(2),
  SHUTDOWN_DEADLINE_SECONDS: z.coerce.number().int().min(0).default(20),
  INGEST_LEASE_SECONDS: integer(60),
  HF_ENDPOINT: z.string().url().default("https://huggingface.co"),
  HF_TOKEN: z.string().min(1).optional(),
  AUTO_PULL_MODELS: z.enum(["true", "false"]).default("true"),
  LOG_FORMAT: z.enum(["json", "text"]).optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  // A shared secret Prometheus sends as `Authorization: Bearer …`: long enough not to be guessed.
  METRICS_TOKEN: z.string().min(32, "at least 32 characters (e.g. openssl rand -hex 32)").optional(),
  READY_TIMEOUT_MS: integer(2000),
  READY_REQUIRES_MODELS: z.enum(["true", "false"]).default("true"),
  PORT: integer(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  ALLOWED_HOSTS: z.string().optional(),
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(1).max(10).default(1),
  SESSION_IDLE_MINUTES: integer(480),
  SESSION_MAX_HOURS: integer(168),
  // The IdP's tokens and keys travel over this: https only (openid-client refuses plain http too).
  OIDC_ISSUER: z.url({ protocol: /^https$/ }).optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_SCOPES: z.string().min(1).default("openid email profile"),
  OIDC_GROUPS_CLAIM: z.string().min(1).default("groups"),
  OIDC_BUTTON_LABEL: z.string().min(1).max(60).default("single sign-on"),
  OIDC_AUTO_CREATE_USERS: z.enum(["true", "false"]).default("true"),
});

export type Environment = z.infer<typeof environmentSchema>;

export interface FolioConfig {
  dataDir: string;
  /** Unset: embedded PGlite under `dataDir/pg`. */
  databaseUrl: string | undefined;
  /** Apply pending migrations on start (off for a serving role that may not change the schema). */
  databaseMigrate: boolean;
  /** `npm run db:migrate` grants this PostgreSQL role what serving needs, and no way to change the ledger. */
  appDatabaseRole: { name: string; password: string | undefined } | undefined;
  pgliteDir: string;
  blobsDir: string;
  lanceUri: string;
  lance: {
    /** How stale a read of the chunk table may be (commits by other processes); 0: checked on every read. */
    readConsistencySeconds: number;
    /** Minutes between compactions, version cleanups and index refreshes where the ingest worker runs; 0: never. */
    optimizeEveryMinutes: number;
    /** Table versions superseded longer ago than this are removed by the scheduled optimize. */
    keepVersionsMinutes: number;
    /** The vector index the scheduled optimize builds, and how searches use it (docs/search-at-scale.md). */
    ann: { index: AnnIndexPolicy; search: AnnSearchSettings };
    /** Stemming and stop words of full-text search (FTS_LANGUAGE); changing it re-indexes the table on open. */
    fullText: FullTextSettings;
  };
  modelsDir: string;
  generator: {
    backend: Environment["GENERATOR_BACKEND"];
    /** A catalog alias (`gemma-4-e2b-it`), a file name under `modelsDir`, or an absolute path. */
    model: string;
    /**
     * The vision projector (mmproj GGUF) beside the model: a catalog alias, a file name under
     * `modelsDir` or an absolute path. Unset: the catalog's projector for the model, if present.
     */
    mmproj: string | undefined;
    /** The most images one prompt may hold (with a vision backend); 0 sends none. */
    maxImagesPerPrompt: number;
    contextTokens: number;
    maxAnswerTokens: number;
    temperature: number;
    seed: number;
    /** Longest the model may spend reading the prompt before its first answer token. */
    prefillSeconds: number;
    /** This machine's prompt reading speed; measured once and stored when unset. */
    prefillTokensPerSecond: number | undefined;
    /** `GENERATOR_BACKEND=openai`: the server `model` is asked for. */
    openai: {
      baseUrl: string | undefined;
      apiKey: string | undefined;
      requestTimeoutMs: number;
      idleTimeoutMs: number;
      /** The server's model takes image parts (`llama-server --mmproj`, a vision model on vLLM/Ollama). */
      vision: boolean;
      /** Tokens one image costs on that server (an estimate: servers do not report it). */
      imageTokens: number;
      /** Images are resized to fit this edge before they are sent. */
      imageEdgePixels: number;
    };
  };
  /** A catalog alias or a directory (under `modelsDir`, or absolute) in Hugging Face layout. */
  embeddingModel: string;
  /** Threads of the answering side: the question's embedding, the generator, the claim-check model. */
  modelThreads: number;
  /**
   * onnxruntime intra-op threads of the ingest worker's own embedding session (INGEST_WORKER=in-process
   * and `npm run worker`), so a question's embedding never waits behind an ingest batch. With
   * INGEST_WORKER=off the one embedder (MODEL_THREADS) serves both. @default half the cores, at least 1
   */
  ingestThreads: number;
  /**
   * While an answer runs in this process, the worker waits before each embedding batch, at most
   * this long a batch (so ingest never starves); 0: no waiting.
   */
  ingestYieldMs: number;
  limits: {
    maxUploadBytes: number;
    /** Bytes of originals one collection may hold; 0 = no limit (docs/decisions/0012). */
    collectionQuotaBytes: number;
    /** Free bytes an upload must leave on the blobs' filesystem; 0 = no check. */
    minFreeDiskBytes: number;
    /** `.incoming` files of interrupted uploads not written for this long are swept. */
    incomingMaxAgeMinutes: number;
    maxPdfPages: number;
    parseTimeoutMs: number;
    parseMemoryMb: number;
    /** Wall-clock budget for one page (render, OCR). */
    parsePageTimeoutMs: number;
    /** Images larger than this (from their header, before decoding) are refused. */
    maxImagePixels: number;
    /** Office packages (docx/pptx/xlsx) that unpack to more than this, as declared, are refused unread. */
    officeMaxUncompressedMb: number;
  };
  /** Rendered pages, figure crops and previews: `<dataDir>/derived`. */
  derivedDir: string;
  parse: {
    /** pdf.js processes working in parallel. */
    processes: number;
    /** tesseract language codes, e.g. ["eng", "deu"]; data from `@tesseract.js-data/<code>`. */
    ocrLanguages: string[];
    ocrWorkers: number;
  };
  chunkMaxTokens: number;
  retrievalTopK: number;
  /** A cross-encoder that rescores retrieval's best candidates (docs/reranking.md); off by default. */
  rerank: {
    /** A catalog alias, `hf:` URI, or directory (under `modelsDir`, or absolute); unset: no reranking. */
    model: string | undefined;
    /**
     * Hits fetched and rescored per search; the best `limit` of them are kept. @default 20 (about
     * 1 s with ms-marco-MiniLM-L6 on 2 cores: docs/reranking.md)
     */
    candidates: number;
    /** Tokens of a (question, passage) pair at most; unset: the model's own limit (512 for both catalog models). */
    maxTokens: number | undefined;
  };
  /** Golden questions per collection (docs/golden-questions.md). */
  golden: {
    /** recall@k is measured, shown and alerted on at this many passages. @default 5 */
    k: number;
    /** Passages retrieved per question; recall is also reported at this depth (at least k). @default 20 */
    depth: number;
    /** An alert when recall@k (over the questions both runs asked) falls by more than this; 0: any drop. */
    alertDrop: number;
    /** A re-index run waits this long after the last document of its collection finished or was deleted. */
    debounceSeconds: number;
  };
  /** Below this evidence score (0–1) a question is not sent to the model; 0 turns the check off. */
  minEvidence: number;
  /** Verdicts on cited sentences (docs/decisions/0006-claim-verdicts.md). */
  claimCheck: {
    /** A cross-encoder / NLI model directory (under `modelsDir`, or absolute) for undecided sentences. */
    model: string | undefined;
    /** Without a cross-encoder, ask the answering model about undecided sentences (one prefill each). */
    useGenerator: boolean;
    /** Undecided sentences per answer the answering model is asked about. */
    maxGeneratorChecks: number;
  };
  /** Answers in progress at once (generating or waiting for the model); one more gets 429. */
  maxQueuedAnswers: number;
  /** The Ed25519 private key that signs audit checkpoints: `<dataDir>/audit/signing-key.pem` by default. */
  auditKeyFile: string;
  /** Hours between retention purges in the process that runs the ingest worker. */
  retentionPurgeHours: number;
  /** A signed checkpoint once this many events are unsigned, or once the oldest has waited this long. */
  auditCheckpoint: { everyEvents: number; everyMinutes: number };
  ingestWorker: Environment["INGEST_WORKER"];
  ingestMaxAttempts: number;
  /** Jobs one worker runs at once: while one waits (OCR, its first pages), another uses the CPU. */
  ingestConcurrency: number;
  /**
   * On SIGTERM/SIGINT, running ingest jobs get this long to finish; the rest go back to the queue
   * (the attempt not counted) for another worker. 0 releases them at once.
   */
  shutdownDeadlineSeconds: number;
  /** A job whose worker stopped renewing its lease (it died) is taken over after this long. */
  ingestLeaseSeconds: number;
  huggingFace: { endpoint: string; token: string | undefined };
  /** `npm start` downloads missing catalog models in the background. */
  autoPullModels: boolean;
  /** Logs, /api/metrics and /api/ready (docs: README "Operations"). */
  observability: {
    log: LogSettings;
    /** Unset: only signed-in admins and auditors may read /api/metrics. */
    metricsToken: string | undefined;
    /** How long /api/ready waits for one check (database, index, a model) before calling it not ready. */
    readyTimeoutMs: number;
    /**
     * /api/ready waits for both models. Off: a node without them stays in the load balancer and
     * serves uploads, search and citations (the models' states are still reported).
     */
    readyRequiresModels: boolean;
  };
  port: number;
  /** Interface `npm start` binds; loopback unless exposed on purpose (behind TLS). */
  host: string;
  web: {
    /** The address users reach Folio at (scheme, host, port); decides Secure cookies and links. */
    publicUrl: string;
    /** Host headers answered (lower-case `host[:port]`); loopback names are always allowed. */
    allowedHosts: string[];
    /** Reverse proxies in front that append to X-Forwarded-For; the client is that many from the right. */
    trustedProxyHops: number;
  };
  sessions: { idleMinutes: number; maxHours: number };
  /** Unset when OIDC sign-in is not configured. */
  oidc:
    | {
        issuer: string;
        clientId: string;
        /** Unset: a public client (PKCE only). */
        clientSecret: string | undefined;
        scopes: string;
        groupsClaim: string;
        buttonLabel: string;
        autoCreateUsers: boolean;
      }
    | undefined;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export function loadConfig(environment: Record<string, string | undefined> = process.env): FolioConfig {
  const withoutBlanks = Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== ""));
  const parsed = environmentSchema.safeParse(withoutBlanks);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  const env = parsed.data;
  const dataDir = path.resolve(env.DATA_DIR);
  const isLoopback = ["127.0.0.1", "localhost", "::1"].includes(env.HOST);
  if (!isLoopback && !env.PUBLIC_URL && !env.ALLOWED_HOSTS) {
    throw new ConfigError(
      `Invalid configuration:\n  HOST: ${env.HOST} exposes Folio beyond this machine; set PUBLIC_URL to the address users open (behind TLS, e.g. https://folio.example.com) or ALLOWED_HOSTS.`,
    );
  }
  if (env.GENERATOR_BACKEND === "openai" && !env.OPENAI_BASE_URL) {
    throw new ConfigError(
      "Invalid configuration:\n  OPENAI_BASE_URL: required when GENERATOR_BACKEND=openai (e.g. http://gpu-node:8080/v1)",
    );
  }
  if (env.OIDC_ISSUER && !env.OIDC_CLIENT_ID) {
    throw new ConfigError("Invalid configuration:\n  OIDC_CLIENT_ID: required when OIDC_ISSUER is set");
  }
  const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, "");
  return {
    dataDir,
    databaseUrl: env.DATABASE_URL,
    databaseMigrate: env.DATABASE_MIGRATE === "true",
    appDatabaseRole: env.APP_DATABASE_ROLE
      ? { name: env.APP_DATABASE_ROLE, password: env.APP_DATABASE_PASSWORD }
      : undefined,
    pgliteDir: path.join(dataDir, "pg"),
    blobsDir: path.join(dataDir, "blobs"),
    lanceUri: env.LANCEDB_URI ?? path.join(dataDir, "lance"),
    lance: {
      readConsistencySeconds: env.LANCEDB_READ_CONSISTENCY_SECONDS,
      optimizeEveryMinutes: env.LANCEDB_OPTIMIZE_MINUTES,
      keepVersionsMinutes: env.LANCEDB_CLEANUP_AFTER_MINUTES,
      ann: {
        index: {
          indexType: env.LANCEDB_ANN_INDEX,
          minRows: env.LANCEDB_ANN_MIN_ROWS,
          retrainGrowthFactor: env.LANCEDB_ANN_RETRAIN_GROWTH,
        },
        search: {
          nprobes: env.LANCEDB_ANN_NPROBES,
          refineFactor: env.LANCEDB_ANN_REFINE_FACTOR,
          ef: env.LANCEDB_ANN_EF,
        },
      },
      fullText: { language: env.FTS_LANGUAGE },
    },
    modelsDir: path.resolve(env.MODELS_DIR),
    generator: {
      backend: env.GENERATOR_BACKEND,
      model: env.GENERATOR_MODEL,
      mmproj: env.GENERATOR_MMPROJ,
      maxImagesPerPrompt: env.ANSWER_MAX_IMAGES,
      contextTokens: env.GENERATOR_CONTEXT_TOKENS,
      maxAnswerTokens: env.GENERATOR_MAX_ANSWER_TOKENS,
      temperature: env.GENERATOR_TEMPERATURE,
      seed: env.GENERATOR_SEED,
      prefillSeconds: env.ANSWER_PREFILL_SECONDS,
      prefillTokensPerSecond: env.ANSWER_PREFILL_TOKENS_PER_SECOND,
      openai: {
        baseUrl: env.OPENAI_BASE_URL,
        apiKey: env.OPENAI_API_KEY,
        requestTimeoutMs: env.OPENAI_TIMEOUT_MS,
        idleTimeoutMs: env.OPENAI_IDLE_TIMEOUT_MS,
        vision: env.OPENAI_VISION === "true",
        imageTokens: env.OPENAI_IMAGE_TOKENS,
        imageEdgePixels: env.OPENAI_IMAGE_EDGE_PIXELS,
      },
    },
    embeddingModel: env.EMBEDDING_MODEL,
    modelThreads: env.MODEL_THREADS,
    ingestThreads: env.INGEST_THREADS,
    ingestYieldMs: env.INGEST_YIELD_MS,
    limits: {
      maxUploadBytes: env.MAX_UPLOAD_BYTES,
      collectionQuotaBytes: env.COLLECTION_QUOTA_BYTES,
      minFreeDiskBytes: env.MIN_FREE_DISK_BYTES,
      incomingMaxAgeMinutes: env.INCOMING_MAX_AGE_MINUTES,
      maxPdfPages: env.MAX_PDF_PAGES,
      parseTimeoutMs: env.PARSE_TIMEOUT_MS,
      parseMemoryMb: env.PARSE_MEMORY_MB,
      parsePageTimeoutMs: env.PARSE_PAGE_TIMEOUT_MS,
      maxImagePixels: env.MAX_IMAGE_PIXELS,
      officeMaxUncompressedMb: env.OFFICE_MAX_UNCOMPRESSED_MB,
    },
    derivedDir: path.join(dataDir, "derived"),
    parse: {
      processes: env.PARSE_PROCESSES,
      ocrLanguages: env.OCR_LANGUAGES.split("+"),
      ocrWorkers: env.OCR_WORKERS,
    },
    chunkMaxTokens: env.CHUNK_MAX_TOKENS,
    retrievalTopK: env.RETRIEVAL_TOP_K,
    rerank: { model: env.RERANK_MODEL, candidates: env.RERANK_CANDIDATES, maxTokens: env.RERANK_MAX_TOKENS },
    golden: {
      k: env.GOLDEN_K,
      depth: Math.max(env.GOLDEN_K, env.GOLDEN_DEPTH),
      alertDrop: env.GOLDEN_ALERT_DROP,
      debounceSeconds: env.GOLDEN_DEBOUNCE_SECONDS,
    },
    minEvidence: env.ANSWER_MIN_EVIDENCE,
    claimCheck: {
      model: env.CLAIM_CHECK_MODEL,
      useGenerator: env.CLAIM_CHECK_GENERATOR === "true",
      maxGeneratorChecks: env.CLAIM_CHECK_GENERATOR_MAX,
    },
    maxQueuedAnswers: env.MAX_QUEUED_ANSWERS,
    auditKeyFile: path.resolve(env.AUDIT_KEY_FILE ?? path.join(dataDir, "audit", "signing-key.pem")),
    retentionPurgeHours: env.RETENTION_PURGE_HOURS,
    auditCheckpoint: { everyEvents: env.AUDIT_CHECKPOINT_EVENTS, everyMinutes: env.AUDIT_CHECKPOINT_MINUTES },
    ingestWorker: env.INGEST_WORKER,
    ingestMaxAttempts: env.INGEST_MAX_ATTEMPTS,
    ingestConcurrency: env.INGEST_CONCURRENCY,
    shutdownDeadlineSeconds: env.SHUTDOWN_DEADLINE_SECONDS,
    ingestLeaseSeconds: env.INGEST_LEASE_SECONDS,
    huggingFace: { endpoint: env.HF_ENDPOINT.replace(/\/+$/, ""), token: env.HF_TOKEN },
    autoPullModels: env.AUTO_PULL_MODELS === "true",
    observability: {
      log: logSettingsOf(env),
      metricsToken: env.METRICS_TOKEN,
      readyTimeoutMs: env.READY_TIMEOUT_MS,
      readyRequiresModels: env.READY_REQUIRES_MODELS === "true",
    },
    port: env.PORT,
    host: env.HOST,
    web: {
      publicUrl,
      allowedHosts: [
        ...new Set([
          new URL(publicUrl).host,
          ...(env.ALLOWED_HOSTS ?? "")
            .split(",")
            .map((host) => host.trim().toLowerCase())
            .filter(Boolean),
        ]),
      ],
      trustedProxyHops: env.TRUSTED_PROXY_HOPS,
    },
    sessions: { idleMinutes: env.SESSION_IDLE_MINUTES, maxHours: env.SESSION_MAX_HOURS },
    oidc:
      env.OIDC_ISSUER && env.OIDC_CLIENT_ID
        ? {
            issuer: env.OIDC_ISSUER,
            clientId: env.OIDC_CLIENT_ID,
            clientSecret: env.OIDC_CLIENT_SECRET,
            scopes: env.OIDC_SCOPES,
            groupsClaim: env.OIDC_GROUPS_CLAIM,
            buttonLabel: env.OIDC_BUTTON_LABEL,
            autoCreateUsers: env.OIDC_AUTO_CREATE_USERS === "true",
          }
        : undefined,
  };
}

export interface LogSettings {
  /** One JSON object a line, or readable text; unset: text on a terminal, JSON otherwise. */
  format: "json" | "text" | undefined;
  /** @default "info" */
  level: "debug" | "info" | "warn" | "error";
}

/**
 * The log settings alone, readable before (and when) the whole configuration fails to parse, so
 * the message naming the bad variable is itself logged in the configured format; an invalid
 * value here falls back to the default (loadConfig then names it).
 */
export function loadLogSettings(environment: Record<string, string | undefined> = process.env): LogSettings {
  const parsed = environmentSchema.pick({ LOG_FORMAT: true, LOG_LEVEL: true }).safeParse({
    LOG_FORMAT: environment.LOG_FORMAT || undefined,
    LOG_LEVEL: environment.LOG_LEVEL || undefined,
  });
  return parsed.success ? logSettingsOf(parsed.data) : { format: undefined, level: "info" };
}

function logSettingsOf(env: Pick<Environment, "LOG_FORMAT" | "LOG_LEVEL">): LogSettings {
  return { format: env.LOG_FORMAT, level: env.LOG_LEVEL };
}
