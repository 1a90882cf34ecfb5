import { stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { FolioConfig } from "../config";
import { AppError, isAppError } from "../errors";
import {
  type CatalogEntry,
  type CatalogKind,
  defaultAliasByKind,
  embedderRequiredFiles,
  findCatalogEntry,
  isDirectoryKind,
  listCatalog,
  resolveEmbeddingModelDir,
  resolveGeneratorModelPath,
  resolveModelSpec,
  resolveRerankerModelDir,
  toHubUri,
} from "./catalog";
import { downloadRepoFile, fetchRepoFileMetadata } from "./hf-download";
import { findCurrentRecord, getFileSha256, recordPulledFile } from "./manifest";
import { describeVisionSetup, type VisionProblem } from "./vision-setup";

export type PullConfig = Pick<FolioConfig, "modelsDir" | "huggingFace">;

export interface PullFileEvent {
  /** Path inside the repository. */
  path: string;
  localPath: string;
  /** 0-based position among the entry's files. */
  index: number;
  count: number;
}

export type PulledFileStatus = "downloaded" | "already-present" | "not-in-repo";

export interface PulledFile {
  path: string;
  localPath: string;
  status: PulledFileStatus;
  /** Undefined only for `not-in-repo`. */
  sha256: string | undefined;
  bytes: number | undefined;
  /**
   * Downloaded: the Hub announced a sha256 (LFS files) and the bytes matched it.
   * Already present: the file matches the sha256 recorded when it was pulled or checked.
   */
  isVerified: boolean;
}

export interface PullModelOptions {
  /** Catalog alias or `hf:` URI (see `resolveModelSpec`). */
  spec: string;
  config: PullConfig;
  /** Download again even when the file on disk matches the manifest. @default false */
  force?: boolean;
  signal?: AbortSignal;
  onFileStart?: (file: PullFileEvent) => void;
  onProgress?: (file: PullFileEvent, receivedBytes: number, totalBytes: number | undefined) => void;
  onFileDone?: (file: PullFileEvent, result: PulledFile) => void;
}

export interface PullResult {
  entry: CatalogEntry;
  /** The GGUF file (generator, projector) or the model directory (embedder, reranker). */
  localPath: string;
  files: PulledFile[];
}

function localPathOf(entry: CatalogEntry, modelsDir: string): string {
  return path.join(modelsDir, entry.localName);
}

function localFilePath(entry: CatalogEntry, modelsDir: string, repoPath: string): string {
  const root = path.resolve(modelsDir);
  const target = !isDirectoryKind(entry.kind)
    ? path.join(root, entry.localName)
    : path.join(root, entry.localName, ...repoPath.split("/"));
  // resolveModelSpec already rejects `..`; this keeps every write inside MODELS_DIR regardless.
  if (!target.startsWith(root + path.sep)) {
    throw new AppError("invalid:model_spec", {
      message: `Refusing to write ${repoPath} outside ${root}.`,
    });
  }
  return target;
}

async function isFile(filePath: string): Promise<boolean> {
  try {
    return (await stat(filePath)).isFile();
  } catch {
    return false;
  }
}

/**
 * A file that is already on disk but not recorded as pulled from this source (copied by hand,
 * or pulled from another revision) is kept when its sha256 equals the one the Hub announces.
 * Files without an announced sha256 (small non-LFS files) are simply downloaded again.
 */
async function isPresentFileCurrent(
  entry: CatalogEntry,
  repoPath: string,
  filePath: string,
  options: PullModelOptions,
): Promise<boolean> {
  const metadata = await fetchRepoFileMetadata({
    endpoint: options.config.huggingFace.endpoint,
    token: options.config.huggingFace.token,
    repo: entry.repo,
    revision: entry.revision,
    path: repoPath,
    signal: options.signal,
  });
  if (metadata.sha256 === undefined) return false;
  return (await getFileSha256({ modelsDir: options.config.modelsDir, filePath })) === metadata.sha256;
}

async function pullFile(
  entry: CatalogEntry,
  event: PullFileEvent,
  isOptional: boolean,
  options: PullModelOptions,
): Promise<PulledFile> {
  const { modelsDir, huggingFace } = options.config;
  const source = toHubUri(entry, event.path);
  const base = { path: event.path, localPath: event.localPath };

  if (!options.force) {
    const record = await findCurrentRecord({ modelsDir, filePath: event.localPath });
    if (record?.source === source) {
      return {
        ...base,
        status: "already-present",
        sha256: record.sha256,
        bytes: record.bytes,
        isVerified: true,
      };
    }
  }
  try {
    if (!options.force && (await isFile(event.localPath))) {
      if (await isPresentFileCurrent(entry, event.path, event.localPath, options)) {
        const current = await findCurrentRecord({ modelsDir, filePath: event.localPath });
        if (current) {
          await recordPulledFile({
            modelsDir,
            filePath: event.localPath,
            sha256: current.sha256,
            bytes: current.bytes,
            source,
          });
          return {
            ...base,
            status: "already-present",
            sha256: current.sha256,
            bytes: current.bytes,
            isVerified: true,
          };
        }
      }
    }
    const downloaded = await downloadRepoFile({
      endpoint: huggingFace.endpoint,
      token: huggingFace.token,
      repo: entry.repo,
      revision: entry.revision,
      path: event.path,
      destination: event.localPath,
      signal: options.signal,
      onProgress: (receivedBytes, totalBytes) => options.onProgress?.(event, receivedBytes, totalBytes),
    });
    await recordPulledFile({
      modelsDir,
      filePath: event.localPath,
      sha256: downloaded.sha256,
      bytes: downloaded.bytes,
      source,
    });
    return {
      ...base,
      status: "downloaded",
      sha256: downloaded.sha256,
      bytes: downloaded.bytes,
      isVerified: downloaded.isVerified,
    };
  } catch (error) {
    if (isOptional && isAppError(error) && error.code === "not_found:model_file") {
      return { ...base, status: "not-in-repo", sha256: undefined, bytes: undefined, isVerified: false };
    }
    throw error;
  }
}

/**
 * Resolves `spec`, downloads each file that is not already present and verified, records every
 * file in the manifest, and returns where the model now lives. Required files come first, so a
 * wrong repository fails before optional files are tried.
 */
export async function pullModel(options: PullModelOptions): Promise<PullResult> {
  const entry = resolveModelSpec(options.spec);
  const modelsDir = path.resolve(options.config.modelsDir);
  const config = { ...options.config, modelsDir };
  const planned = [
    ...entry.files.map((repoPath) => ({ repoPath, isOptional: false })),
    ...(entry.optionalFiles ?? []).map((repoPath) => ({ repoPath, isOptional: true })),
  ];
  const files: PulledFile[] = [];
  for (const [index, { repoPath, isOptional }] of planned.entries()) {
    const event: PullFileEvent = {
      path: repoPath,
      localPath: localFilePath(entry, modelsDir, repoPath),
      index,
      count: planned.length,
    };
    options.onFileStart?.(event);
    const result = await pullFile(entry, event, isOptional, { ...options, config });
    options.onFileDone?.(event, result);
    files.push(result);
  }
  const localPath = localPathOf(entry, modelsDir);
  if (entry.kind === "embedder" && entry.embedderSettings) {
    await writeFile(
      path.join(localPath, "folio-embedding.json"),
      `${JSON.stringify(entry.embedderSettings, null, 2)}\n`,
    );
  }
  return { entry, localPath, files };
}

export interface ModelStatus {
  kind: CatalogKind;
  /** Alias, `hf:` URI, or the configured file/directory name. */
  name: string;
  /**
   * This is what GENERATOR_MODEL / EMBEDDING_MODEL / RERANK_MODEL selects, or the projector loaded beside the
   * answering model (GENERATOR_MMPROJ, or the catalog's projector of GENERATOR_MODEL).
   */
  isConfigured: boolean;
  description: string | undefined;
  path: string;
  isPresent: boolean;
  /** Bytes on disk (all present files of a directory). */
  bytes: number;
  /** sha256 of the GGUF / `onnx/model.onnx` from the manifest; undefined until first hashed. */
  sha256: string | undefined;
  missingFiles: string[];
  /** The command that fetches what is missing; undefined when present or not pullable. */
  command: string | undefined;
}

export interface ModelListing {
  modelsDir: string;
  models: ModelStatus[];
  /** What keeps the answering model from reading images (see `describeVisionSetup`), with the fix. */
  problems: VisionProblem[];
}

async function fileSize(filePath: string): Promise<number | undefined> {
  try {
    const stats = await stat(filePath);
    return stats.isFile() ? stats.size : undefined;
  } catch {
    return undefined;
  }
}

async function describeModel(
  kind: CatalogKind,
  name: string,
  modelPath: string,
  entry: CatalogEntry | undefined,
  isConfigured: boolean,
  modelsDir: string,
): Promise<ModelStatus> {
  const isSingleFile = !isDirectoryKind(kind);
  const requiredFiles = isSingleFile ? [""] : (entry?.files ?? [...embedderRequiredFiles]);
  const missingFiles: string[] = [];
  let bytes = 0;
  for (const repoPath of requiredFiles) {
    const size = await fileSize(repoPath === "" ? modelPath : path.join(modelPath, ...repoPath.split("/")));
    if (size === undefined) missingFiles.push(repoPath === "" ? path.basename(modelPath) : repoPath);
    else bytes += size;
  }
  for (const repoPath of entry?.optionalFiles ?? []) {
    bytes += (await fileSize(path.join(modelPath, ...repoPath.split("/")))) ?? 0;
  }
  const mainFile = isSingleFile ? modelPath : path.join(modelPath, ...(requiredFiles[0] ?? "").split("/"));
  const record = await findCurrentRecord({ modelsDir, filePath: mainFile });
  const isPresent = missingFiles.length === 0;
  return {
    kind,
    name,
    isConfigured,
    description: entry?.description,
    path: modelPath,
    isPresent,
    bytes,
    sha256: record?.sha256,
    missingFiles,
    command: isPresent || !entry ? undefined : `npm run models -- pull ${entry.alias}`,
  };
}

/** What `npm run models -- list` prints: the configured models first, then the rest of the catalog. */
export async function listModels(
  config: Pick<FolioConfig, "modelsDir" | "generator" | "embeddingModel"> & {
    rerank?: FolioConfig["rerank"];
  },
): Promise<ModelListing> {
  const modelsDir = path.resolve(config.modelsDir);
  const fullConfig = { ...config, modelsDir } as FolioConfig;
  const specOf = (value: string) =>
    findCatalogEntry(value) ?? (value.startsWith("hf:") ? resolveModelSpec(value) : undefined);

  const generatorEntry = specOf(config.generator.model);
  const embedderEntry = specOf(config.embeddingModel);
  const models: ModelStatus[] = [
    await describeModel(
      "generator",
      config.generator.model,
      resolveGeneratorModelPath(fullConfig),
      generatorEntry,
      true,
      modelsDir,
    ),
    await describeModel(
      "embedder",
      config.embeddingModel,
      resolveEmbeddingModelDir(fullConfig),
      embedderEntry,
      true,
      modelsDir,
    ),
  ];
  const rerankerModel = config.rerank?.model;
  const rerankerEntry = rerankerModel === undefined ? undefined : specOf(rerankerModel);
  const rerankerDir = config.rerank
    ? resolveRerankerModelDir({ modelsDir, rerank: config.rerank })
    : undefined;
  if (rerankerModel !== undefined && rerankerDir !== undefined) {
    models.push(await describeModel("reranker", rerankerModel, rerankerDir, rerankerEntry, true, modelsDir));
  }
  for (const configured of models) {
    if (!configured.isPresent && configured.command === undefined && configured.kind !== "projector") {
      configured.command = `npm run models -- pull ${defaultAliasByKind[configured.kind]}`;
    }
  }
  const vision = await describeVisionSetup(fullConfig);
  const projectorEntry = vision.projector?.spec ? specOf(vision.projector.spec) : undefined;
  if (vision.projector) {
    const projector = await describeModel(
      "projector",
      vision.projector.spec ?? config.generator.mmproj ?? path.basename(vision.projector.path),
      vision.projector.path,
      projectorEntry,
      true,
      modelsDir,
    );
    projector.description ??= "Vision projector (mmproj) of the answering model";
    models.splice(1, 0, projector);
  }
  for (const entry of listCatalog()) {
    const isConfigured = [generatorEntry, embedderEntry, rerankerEntry].includes(entry);
    if (isConfigured || entry.alias === projectorEntry?.alias) continue;
    models.push(
      await describeModel(entry.kind, entry.alias, localPathOf(entry, modelsDir), entry, false, modelsDir),
    );
  }
  // A missing projector already shows as a missing model, with its command.
  const isShownAsMissing = vision.projector !== undefined && !vision.isProjectorPresent;
  return { modelsDir, models, problems: vision.problem && !isShownAsMissing ? [vision.problem] : [] };
}
