import path from "node:path";
import type { FolioConfig } from "../config";
import { AppError } from "../errors";

export type ModelKind = "generator" | "embedder" | "reranker";
/** What a catalog entry is: a model, or a generator's vision projector (mmproj). */
export type CatalogKind = ModelKind | "projector";

/**
 * A model Folio knows how to fetch from Hugging Face. A generator or a projector is one GGUF file
 * stored as `modelsDir/<localName>`; an embedder or a reranker is a directory `modelsDir/<localName>/`
 * that keeps the repository layout (`onnx/model.onnx`, `tokenizer.json`, `config.json`, …).
 */
export interface CatalogEntry {
  alias: string;
  kind: CatalogKind;
  /** `owner/name` on the Hub. */
  repo: string;
  /** Branch, tag or commit. Catalog entries track `main`; pin with `hf:owner/repo@<commit>/…`. */
  revision: string;
  /** Paths inside the repository that must all exist. */
  files: string[];
  /** Paths fetched when the repository has them; a 404 on one of these is not an error. */
  optionalFiles?: string[];
  /** File name (generator, projector) or directory name (embedder, reranker) under `modelsDir`. */
  localName: string;
  /**
   * Generators only: the alias of the vision projector (mmproj) made for this model. Pulling the
   * generator pulls it too; without it the model answers from text only.
   */
  projector?: string;
  /**
   * Written to the embedder directory as `folio-embedding.json` after a pull: what the model needs
   * but its ONNX repository does not say (query/document prompts, pooling, sequence length).
   */
  embedderSettings?: {
    prompts?: { query?: string; document?: string };
    pooling?: "cls" | "mean" | "lasttoken";
    maxSequenceLength?: number;
  };
  description: string;
}

/*
 * Where each name below was verified (no network here, so from stored public sources; the Hub
 * itself was not queried):
 *
 * - unsloth/gemma-4-E2B-it-GGUF : gemma-4-E2B-it-Q4_K_M.gguf — a Rust model store pins this
 *   repo + file with sha256 9378bc47…8672d and 3,106,736,256 bytes; also named in
 *   github.com/city96/ComfyUI-GGUF issue #450 (huggingface.co/unsloth/gemma-4-E2B-it-GGUF/blob/main/
 *   gemma-4-E2B-it-Q4_K_M.gguf) and in several Makefiles/download scripts using /resolve/main/.
 * - unsloth/gemma-4-E4B-it-GGUF : gemma-4-E4B-it-Q4_K_M.gguf — a TypeScript test pins
 *   `hf:unsloth/gemma-4-E4B-it-GGUF/gemma-4-E4B-it-Q4_K_M.gguf` at 4,977,171,584 bytes; also in a
 *   Go test pinned at revision bfc15c382204943c3a8fff0c750b94ae2364d7a3 and in download guides.
 * - ggml-org/gemma-4-E2B-it-GGUF : gemma-4-E2B-it-Q4_0.gguf — two independent catalogs pin
 *   revision b4243c156154b6dca9324415f8c7ccc098b4aed1, 2,841,481,184 bytes, sha256 8e30dff3…6a52.
 *   (ggml-org lists Q4_0 / Q8_0 / BF16 for this repo; sources disagree on the letter case of the
 *   Q8_0 file name, so Q8_0 is deliberately not in the catalog.)
 * - BAAI/bge-small-en-v1.5 : a CI log of sentence-transformers loading it (commit
 *   5c38ec7c405ec4b44b94cc5a9bb96e735b38267a) shows modules.json, config_sentence_transformers.json,
 *   sentence_bert_config.json, config.json, tokenizer_config.json, vocab.txt, tokenizer.json,
 *   special_tokens_map.json and 1_Pooling/config.json resolving; onnx/model.onnx at
 *   /BAAI/bge-small-en-v1.5/resolve/main/onnx/model.onnx is used by many projects.
 *   (Xenova/bge-small-en-v1.5 also has onnx/model.onnx but no 1_Pooling/config.json was seen.)
 * - onnx-community/embeddinggemma-300m-ONNX : onnx/model.onnx + onnx/model.onnx_data (fp32,
 *   external weights ~1.23 GB), tokenizer.json, tokenizer.model, tokenizer_config.json (a .NET
 *   binding's README and several download scripts). config.json is assumed from the
 *   Transformers.js layout of onnx-community repos (not seen directly), so it is optional.
 *   A q8 variant (onnx/model_quantized.onnx + .onnx_data, 308,890,624 bytes) also exists.
 *
 *
 * Vision projectors (mmproj), same method:
 *
 * - unsloth/gemma-4-E2B-it-GGUF : mmproj-F16.gguf — a Dart model catalog pins
 *   huggingface.co/unsloth/gemma-4-E2B-it-GGUF/resolve/main/mmproj-F16.gguf at 985,654,080 bytes;
 *   also named by a Swift engine, a Kotlin model enum ("986 MB") and a TypeScript preset list
 *   beside gemma-4-E2B-it-Q4_K_M.gguf. (Download scripts also name mmproj-BF16.gguf there.)
 * - unsloth/gemma-4-E4B-it-GGUF : mmproj-F16.gguf — a Makefile and a shell script fetch
 *   /resolve/main/mmproj-F16.gguf beside gemma-4-E4B-it-Q4_K_M.gguf; a TypeScript app config gives
 *   ~987,000,000 bytes.
 * - ggml-org/gemma-4-E2B-it-GGUF : mmproj-gemma-4-E2B-it-Q8_0.gguf — a download script pins
 *   sha256 9406f99c…b292; a deployment guide fetches the same path. (The bf16 file's letter case
 *   differs between sources, so it is not in the catalog.) The E4B repo's Q8_0 projector is
 *   559,874,816 bytes; E2B's is taken to be about the same.
 *
 *
 * Rerankers (one-logit cross-encoders, RERANK_MODEL), same method:
 *
 * - cross-encoder/ms-marco-MiniLM-L6-v2 : onnx/model.onnx — a project's download record gives
 *   91,011,230 bytes, sha256 5d3e70fd…4d4a (equal to the Hub's X-Linked-Etag), and tokenizer.json
 *   at 711,396 bytes; the Hub answers the old name cross-encoder/ms-marco-MiniLM-L-6-v2 with a 307
 *   to this one, so the current name is used. Many projects fetch onnx/model.onnx and
 *   tokenizer.json from it; config.json (BertForSequenceClassification, one label) and
 *   tokenizer_config.json are the standard transformers files of the repository.
 * - BAAI/bge-reranker-base : onnx/model.onnx (fp32, one file of ~1.1 GB, no external data:
 *   qdrant/fastembed lists it with model_file onnx/model.onnx and 1.04 GB; a Go client checks
 *   ≥ 900,000,000 bytes) and tokenizer.json (XLM-RoBERTa SentencePiece, ≥ 5 MB), fetched by
 *   several projects from /resolve/main/.
 *
 * No sha256 is pinned here: revisions are `main`, whose files can be re-uploaded. Each download
 * is verified against the sha256 the Hub itself announces for LFS files (X-Linked-Etag).
 */
const catalog: readonly CatalogEntry[] = [
  {
    alias: "gemma-4-e2b-it",
    kind: "generator",
    repo: "unsloth/gemma-4-E2B-it-GGUF",
    revision: "main",
    files: ["gemma-4-E2B-it-Q4_K_M.gguf"],
    localName: "gemma-4-E2B-it-Q4_K_M.gguf",
    projector: "gemma-4-e2b-it-mmproj",
    description: "Gemma 4 E2B instruction-tuned, Q4_K_M (~3.1 GB). Default: runs on a CPU with 8 GB RAM.",
  },
  {
    alias: "gemma-4-e4b-it",
    kind: "generator",
    repo: "unsloth/gemma-4-E4B-it-GGUF",
    revision: "main",
    files: ["gemma-4-E4B-it-Q4_K_M.gguf"],
    localName: "gemma-4-E4B-it-Q4_K_M.gguf",
    projector: "gemma-4-e4b-it-mmproj",
    description: "Gemma 4 E4B instruction-tuned, Q4_K_M (~5.0 GB). Better answers, about half the speed.",
  },
  {
    alias: "gemma-4-e2b-it-q4_0",
    kind: "generator",
    repo: "ggml-org/gemma-4-E2B-it-GGUF",
    revision: "main",
    files: ["gemma-4-E2B-it-Q4_0.gguf"],
    localName: "gemma-4-E2B-it-Q4_0.gguf",
    projector: "gemma-4-e2b-it-q4_0-mmproj",
    description: "Gemma 4 E2B instruction-tuned, Q4_0 from ggml-org (~2.8 GB).",
  },
  {
    alias: "gemma-4-e2b-it-mmproj",
    kind: "projector",
    repo: "unsloth/gemma-4-E2B-it-GGUF",
    revision: "main",
    files: ["mmproj-F16.gguf"],
    localName: "gemma-4-E2B-it-mmproj-F16.gguf",
    description: "Vision projector of Gemma 4 E2B, F16 (~1.0 GB): lets it read figures and page images.",
  },
  {
    alias: "gemma-4-e4b-it-mmproj",
    kind: "projector",
    repo: "unsloth/gemma-4-E4B-it-GGUF",
    revision: "main",
    files: ["mmproj-F16.gguf"],
    localName: "gemma-4-E4B-it-mmproj-F16.gguf",
    description: "Vision projector of Gemma 4 E4B, F16 (~1.0 GB).",
  },
  {
    alias: "gemma-4-e2b-it-q4_0-mmproj",
    kind: "projector",
    repo: "ggml-org/gemma-4-E2B-it-GGUF",
    revision: "main",
    files: ["mmproj-gemma-4-E2B-it-Q8_0.gguf"],
    localName: "mmproj-gemma-4-E2B-it-Q8_0.gguf",
    description: "Vision projector of Gemma 4 E2B from ggml-org, Q8_0 (~0.6 GB).",
  },
  {
    alias: "bge-small-en-v1.5",
    kind: "embedder",
    repo: "BAAI/bge-small-en-v1.5",
    revision: "main",
    files: [
      "onnx/model.onnx",
      "config.json",
      "tokenizer.json",
      "tokenizer_config.json",
      "special_tokens_map.json",
      "1_Pooling/config.json",
    ],
    optionalFiles: [
      "vocab.txt",
      "modules.json",
      "sentence_bert_config.json",
      "config_sentence_transformers.json",
    ],
    localName: "bge-small-en-v1.5",
    // The query instruction from the BGE model card (v1.5 works without it, retrieves better with it).
    embedderSettings: { prompts: { query: "Represent this sentence for searching relevant passages: " } },
    description: "BGE small English v1.5, ONNX (~133 MB), 384 dimensions. Default embedder.",
  },
  {
    alias: "embeddinggemma-300m",
    kind: "embedder",
    repo: "onnx-community/embeddinggemma-300m-ONNX",
    revision: "main",
    files: ["onnx/model.onnx", "onnx/model.onnx_data", "tokenizer.json", "tokenizer_config.json"],
    optionalFiles: ["config.json", "special_tokens_map.json", "tokenizer.model"],
    localName: "embeddinggemma-300m",
    // The retrieval prompts and 2,048-token input from the EmbeddingGemma model card.
    embedderSettings: {
      prompts: { query: "task: search result | query: ", document: "title: none | text: " },
      maxSequenceLength: 2048,
    },
    description: "EmbeddingGemma 300M, ONNX fp32 (~1.2 GB), 768 dimensions, 100+ languages.",
  },
  {
    alias: "ms-marco-minilm-l6-v2",
    kind: "reranker",
    repo: "cross-encoder/ms-marco-MiniLM-L6-v2",
    revision: "main",
    files: ["onnx/model.onnx", "config.json", "tokenizer.json"],
    optionalFiles: ["tokenizer_config.json", "special_tokens_map.json", "vocab.txt"],
    localName: "ms-marco-MiniLM-L6-v2",
    description: "MS MARCO MiniLM-L6 cross-encoder, ONNX (~91 MB), English. Fast reranker (RERANK_MODEL).",
  },
  {
    alias: "bge-reranker-base",
    kind: "reranker",
    repo: "BAAI/bge-reranker-base",
    revision: "main",
    files: ["onnx/model.onnx", "config.json", "tokenizer.json"],
    optionalFiles: ["tokenizer_config.json", "special_tokens_map.json"],
    localName: "bge-reranker-base",
    description:
      "BGE reranker base (XLM-RoBERTa, 278 M parameters), ONNX (~1.1 GB), English and Chinese. Stronger, 2-4x the MiniLM's time.",
  },
];

/** Kinds stored as a directory in the repository's layout (the rest are one GGUF file). */
export function isDirectoryKind(kind: CatalogKind): boolean {
  return kind === "embedder" || kind === "reranker";
}

/**
 * What `hf:<owner>/<repo>` (no file path) pulls: the Hugging Face / sentence-transformers layout
 * the ONNX embedder reads. Files that only some repositories ship are optional.
 */
export const embedderRequiredFiles: readonly string[] = [
  "onnx/model.onnx",
  "config.json",
  "tokenizer.json",
  "tokenizer_config.json",
];
export const embedderOptionalFiles: readonly string[] = [
  "onnx/model.onnx_data",
  "special_tokens_map.json",
  "1_Pooling/config.json",
  "modules.json",
  "sentence_bert_config.json",
  "config_sentence_transformers.json",
  "vocab.txt",
];

export function listCatalog(): readonly CatalogEntry[] {
  return catalog;
}

export function findCatalogEntry(alias: string): CatalogEntry | undefined {
  return catalog.find((entry) => entry.alias === alias.toLowerCase());
}

/** What is suggested when a configured model cannot be pulled by its name. */
export const defaultAliasByKind: Record<ModelKind, string> = {
  generator: "gemma-4-e2b-it",
  embedder: "bge-small-en-v1.5",
  reranker: "ms-marco-minilm-l6-v2",
};

const hubNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const revisionPattern = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

function invalidSpec(spec: string, reason: string): AppError {
  const aliases = catalog.map((entry) => entry.alias).join(", ");
  return new AppError("invalid:model_spec", {
    message:
      `"${spec}" is not a model this command can pull: ${reason}. ` +
      `Use a catalog alias (${aliases}), hf:<owner>/<repo>/<file.gguf> for a generator, ` +
      `or hf:<owner>/<repo> for an ONNX embedder or reranker directory (add @<revision> after the repo to pin one).`,
    details: { aliases: catalog.map((entry) => entry.alias) },
  });
}

/** Rejects empty, absolute and `..` segments: repository paths become local paths under modelsDir. */
function isSafeRepoPath(repoPath: string): boolean {
  if (repoPath.length === 0 || repoPath.includes("\\") || repoPath.includes("\0")) return false;
  return repoPath.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..");
}

/**
 * A catalog alias (case-insensitive) or an explicit Hub URI:
 * `hf:<owner>/<repo>[@<revision>]/<path/in/repo.gguf>` → one GGUF file (generator);
 * `hf:<owner>/<repo>[@<revision>]` → an embedder directory with the standard file set.
 */
export function resolveModelSpec(spec: string): CatalogEntry {
  const trimmed = spec.trim();
  const known = findCatalogEntry(trimmed);
  if (known) return known;
  if (!trimmed.startsWith("hf:")) throw invalidSpec(trimmed, "unknown alias");

  const [owner, repoAndRevision, ...pathSegments] = trimmed.slice("hf:".length).split("/");
  if (!owner || !repoAndRevision) throw invalidSpec(trimmed, "expected hf:<owner>/<repo>");
  const atIndex = repoAndRevision.indexOf("@");
  const repoName = atIndex === -1 ? repoAndRevision : repoAndRevision.slice(0, atIndex);
  const revision = atIndex === -1 ? "main" : repoAndRevision.slice(atIndex + 1);
  if (!hubNamePattern.test(owner) || !hubNamePattern.test(repoName)) {
    throw invalidSpec(trimmed, "the owner or repository name has characters the Hub does not allow");
  }
  if (!revisionPattern.test(revision) || revision.includes("..")) {
    throw invalidSpec(trimmed, `"${revision}" is not a valid revision`);
  }
  const repo = `${owner}/${repoName}`;

  if (pathSegments.length === 0) {
    return {
      alias: trimmed,
      kind: "embedder",
      repo,
      revision,
      files: [...embedderRequiredFiles],
      optionalFiles: [...embedderOptionalFiles],
      localName: repoName,
      description: `ONNX embedder from ${repo}@${revision}`,
    };
  }
  const repoPath = pathSegments.join("/");
  if (!isSafeRepoPath(repoPath)) throw invalidSpec(trimmed, `"${repoPath}" is not a safe file path`);
  if (!repoPath.toLowerCase().endsWith(".gguf")) {
    throw invalidSpec(trimmed, "a single-file pull must name a .gguf file");
  }
  return {
    alias: trimmed,
    kind: "generator",
    repo,
    revision,
    files: [repoPath],
    localName: path.posix.basename(repoPath),
    description: `GGUF ${repoPath} from ${repo}@${revision}`,
  };
}

/** The `hf:` URI of one file of an entry, recorded as the manifest `source`. */
export function toHubUri(entry: Pick<CatalogEntry, "repo" | "revision">, repoPath: string): string {
  return `hf:${entry.repo}@${entry.revision}/${repoPath}`;
}

/** A catalog alias or `hf:` URI → its entry; anything else is a local file or directory name. */
function tryResolveSpec(value: string): CatalogEntry | undefined {
  return findCatalogEntry(value) ?? (value.startsWith("hf:") ? resolveModelSpec(value) : undefined);
}

const kindNames: Record<CatalogKind, string> = {
  generator: "a generator model",
  embedder: "an embedder model",
  projector: "a vision projector",
  reranker: "a reranking model",
};

function resolveConfiguredPath(kind: CatalogKind, value: string, modelsDir: string): string {
  const entry = tryResolveSpec(value);
  if (entry) {
    // `hf:<owner>/<repo>/<file.gguf>` names one GGUF file: a model or a projector alike.
    const isGgufForProjector = kind === "projector" && value.startsWith("hf:") && entry.kind === "generator";
    // `hf:<owner>/<repo>` names a directory in the embedder layout: a reranker's layout too.
    const isDirectoryForReranker =
      kind === "reranker" && value.startsWith("hf:") && entry.kind === "embedder";
    if (entry.kind !== kind && !isGgufForProjector && !isDirectoryForReranker) {
      throw new AppError("invalid:model_spec", {
        message: `"${value}" is ${kindNames[entry.kind]}, not ${kindNames[kind]}.`,
      });
    }
    return path.join(modelsDir, entry.localName);
  }
  return path.isAbsolute(value) ? value : path.resolve(modelsDir, value);
}

/** Absolute path of the GGUF file `GENERATOR_MODEL` names (alias, `hf:` URI, name under modelsDir, or absolute path). */
export function resolveGeneratorModelPath(config: FolioConfig): string {
  return resolveConfiguredPath("generator", config.generator.model, config.modelsDir);
}

/** Absolute path of the embedder directory `EMBEDDING_MODEL` names. */
export function resolveEmbeddingModelDir(config: FolioConfig): string {
  return resolveConfiguredPath("embedder", config.embeddingModel, config.modelsDir);
}

/** Absolute path of the reranker directory `RERANK_MODEL` names; undefined when reranking is off. */
export function resolveRerankerModelDir(
  config: Pick<FolioConfig, "rerank" | "modelsDir">,
): string | undefined {
  const { model } = config.rerank;
  return model === undefined ? undefined : resolveConfiguredPath("reranker", model, config.modelsDir);
}

/** The vision projector (mmproj) to load beside the answering model. */
export interface ProjectorChoice {
  /** Absolute path of the mmproj GGUF file. */
  path: string;
  /** `GENERATOR_MMPROJ` names it; otherwise it is the catalog's projector of `GENERATOR_MODEL`. */
  isConfigured: boolean;
  /** The alias or `hf:` URI that pulls it; undefined for a local file. */
  spec: string | undefined;
  /** `npm run models -- pull …` that fetches it; undefined for a local file. */
  command: string | undefined;
  description: string | undefined;
}

/**
 * The projector `GENERATOR_MMPROJ` names (alias, `hf:` URI, name under modelsDir, or absolute
 * path) or, unset, the catalog's projector of the configured model; undefined when there is none
 * (a text-only setup). Whether the file is present is the caller's question.
 */
export function resolveProjector(
  config: Pick<FolioConfig, "generator" | "modelsDir">,
): ProjectorChoice | undefined {
  const configured = config.generator.mmproj;
  const spec = configured ?? tryResolveSpec(config.generator.model)?.projector;
  if (spec === undefined) return undefined;
  const entry = tryResolveSpec(spec);
  return {
    path: resolveConfiguredPath("projector", spec, config.modelsDir),
    isConfigured: configured !== undefined,
    spec: entry ? spec : undefined,
    command: entry ? `npm run models -- pull ${spec}` : undefined,
    description: entry?.description,
  };
}

/**
 * What `pull <spec>` fetches: the entry, preceded by its vision projector for a generator that has
 * one — first, so that a server waiting for the model finds the pair complete when the model lands.
 */
export function resolvePullSpecs(spec: string): CatalogEntry[] {
  const entry = resolveModelSpec(spec);
  const projector = entry.projector ? findCatalogEntry(entry.projector) : undefined;
  return projector ? [projector, entry] : [entry];
}

export interface MissingModelDescription {
  /** Human-readable: what is missing, where it was expected, and how to get it. */
  message: string;
  /** The exact command that fixes it. */
  command: string;
  /** Where the model was expected. */
  path: string;
}

/**
 * What to tell an operator when a configured model is not on disk. A configured alias or `hf:` URI
 * is pulled as is; a plain file name cannot be pulled, so the default alias is suggested instead.
 */
export function describeMissingModel(kind: ModelKind, config: FolioConfig): MissingModelDescription {
  const configured = {
    generator: {
      value: config.generator.model,
      variable: "GENERATOR_MODEL",
      path: resolveGeneratorModelPath,
    },
    embedder: { value: config.embeddingModel, variable: "EMBEDDING_MODEL", path: resolveEmbeddingModelDir },
    reranker: {
      value: config.rerank.model ?? defaultAliasByKind.reranker,
      variable: "RERANK_MODEL",
      path: (folio: FolioConfig) => resolveRerankerModelDir(folio) ?? "",
    },
  }[kind];
  const { value, variable } = configured;
  const expectedPath = configured.path(config);
  const pullable = tryResolveSpec(value) !== undefined;
  const specToPull = pullable ? value : defaultAliasByKind[kind];
  const command = `npm run models -- pull ${specToPull}`;
  const what = {
    generator: "The answering model (GGUF file)",
    embedder: "The embedding model (ONNX directory)",
    reranker: "The reranking model (ONNX directory)",
  }[kind];
  const fix = pullable
    ? `Download it with \`${command}\``
    : `${variable}=${value} names a local file that cannot be downloaded by name; copy it there, or set ${variable}=${defaultAliasByKind[kind]} and run \`${command}\``;
  return {
    message: `${what} is missing: ${expectedPath} does not exist. ${fix}. Without network access, copy the files by hand into ${config.modelsDir} (see \`npm run models -- list\`).`,
    command,
    path: expectedPath,
  };
}
