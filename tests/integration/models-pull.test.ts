import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FolioConfig, loadConfig } from "../../lib/config";
import { OnnxEmbedder } from "../../lib/embeddings/onnx-embedder";
import { AppError } from "../../lib/errors";
import {
  describeMissingModel,
  resolveEmbeddingModelDir,
  resolveGeneratorModelPath,
  resolveModelSpec,
  resolveRerankerModelDir,
} from "../../lib/models/catalog";
import { downloadRepoFile } from "../../lib/models/hf-download";
import { getFileSha256, readManifest, writeManifest } from "../../lib/models/manifest";
import { listModels, pullModel } from "../../lib/models/pull";
import { loadReranker } from "../../lib/retrieval/load-reranker";
import {
  computeTinyCrossEncoderLogits,
  writeTinyCrossEncoder,
} from "../fixtures/builders/tiny-cross-encoder";
import { writeTinyEmbeddingModel } from "../fixtures/builders/tiny-embedding-model";

/**
 * A protocol peer that behaves like the Hugging Face Hub for `/resolve/`: LFS files answer 302 to
 * a CDN on another origin with `X-Linked-Etag: "<sha256>"`; small files answer a same-origin 307
 * to `/api/resolve-cache/…` and then 200 with a git-sha1 ETag (as huggingface.co does today).
 */
interface FakeFile {
  content: Buffer;
  isLfs: boolean;
  /** What the Hub announces; defaults to the real sha256. */
  announcedSha256?: string;
}

interface SeenRequest {
  method: string;
  url: string;
  authorization: string | undefined;
}

const commit = "0123456789abcdef0123456789abcdef01234567";
const sha256Of = (content: Buffer) => createHash("sha256").update(content).digest("hex");
const gitSha1Of = (content: Buffer) =>
  createHash("sha1")
    .update(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content]))
    .digest("hex");

const files = new Map<string, FakeFile>();
const gatedRepos = new Set<string>(["test-org/gated-model"]);
const hubRequests: SeenRequest[] = [];
const cdnRequests: SeenRequest[] = [];
let hub: http.Server;
let cdn: http.Server;
let hubEndpoint: string;
let cdnOrigin: string;

function seen(request: http.IncomingMessage): SeenRequest {
  return {
    method: request.method ?? "",
    url: request.url ?? "",
    authorization: request.headers.authorization,
  };
}

function handleHub(request: http.IncomingMessage, response: http.ServerResponse): void {
  hubRequests.push(seen(request));
  const url = new URL(request.url ?? "/", hubEndpoint);
  const cached = url.pathname.match(/^\/api\/resolve-cache\/models\/([^/]+\/[^/]+)\/[0-9a-f]{40}\/(.+)$/);
  if (cached?.[1] && cached[2]) {
    const file = files.get(`${cached[1]}/${decodeURIComponent(cached[2])}`);
    if (!file) return void response.writeHead(404).end();
    response.writeHead(200, {
      "Content-Length": file.content.length,
      ETag: `"${gitSha1Of(file.content)}"`,
      "X-Repo-Commit": commit,
    });
    return void response.end(file.content);
  }
  const resolved = url.pathname.match(/^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/);
  if (!resolved?.[1] || !resolved[3]) return void response.writeHead(404).end();
  const repo = resolved[1];
  const repoPath = resolved[3].split("/").map(decodeURIComponent).join("/");
  if (gatedRepos.has(repo)) {
    response.writeHead(401, { "X-Error-Code": "GatedRepo", "Content-Type": "application/json" });
    return void response.end(JSON.stringify({ error: "Access to model is restricted." }));
  }
  const file = files.get(`${repo}/${repoPath}`);
  if (!file) {
    response.writeHead(404, { "X-Error-Code": "EntryNotFound", "X-Repo-Commit": commit });
    return void response.end(JSON.stringify({ error: "Entry not found" }));
  }
  if (file.isLfs) {
    const announced = file.announcedSha256 ?? sha256Of(file.content);
    response.writeHead(302, {
      Location: `${cdnOrigin}/cdn/${encodeURIComponent(`${repo}/${repoPath}`)}?X-Amz-Signature=signed`,
      "X-Linked-Etag": `"${announced}"`,
      ETag: `"${announced}"`,
      "X-Linked-Size": file.content.length,
      "X-Repo-Commit": commit,
    });
    return void response.end();
  }
  response.writeHead(307, {
    Location: `/api/resolve-cache/models/${repo}/${commit}/${encodeURIComponent(repoPath)}`,
    "X-Repo-Commit": commit,
  });
  response.end();
}

function handleCdn(request: http.IncomingMessage, response: http.ServerResponse): void {
  cdnRequests.push(seen(request));
  const key = decodeURIComponent(new URL(request.url ?? "/", cdnOrigin).pathname.replace(/^\/cdn\//, ""));
  const file = files.get(key);
  if (!file) return void response.writeHead(404).end();
  // A CDN ETag is an md5-like value, never the sha256: the client must ignore it.
  response.writeHead(200, {
    "Content-Length": file.content.length,
    ETag: '"d41d8cd98f00b204e9800998ecf8427e"',
  });
  response.end(file.content);
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function addFile(repo: string, repoPath: string, content: Buffer, isLfs: boolean, announcedSha256?: string) {
  files.set(`${repo}/${repoPath}`, { content, isLfs, ...(announcedSha256 ? { announcedSha256 } : {}) });
  return content;
}

const embedderRepo = "test-org/tiny-embedder";
const embedderContents = {
  "onnx/model.onnx": addFile(embedderRepo, "onnx/model.onnx", randomBytes(300_000), true),
  "config.json": addFile(embedderRepo, "config.json", Buffer.from('{"hidden_size":8}'), false),
  "tokenizer.json": addFile(
    embedderRepo,
    "tokenizer.json",
    Buffer.from('{"model":{"type":"WordPiece"}}'),
    false,
  ),
  "tokenizer_config.json": addFile(embedderRepo, "tokenizer_config.json", Buffer.from("{}"), false),
  "special_tokens_map.json": addFile(embedderRepo, "special_tokens_map.json", Buffer.from("{}"), false),
  "1_Pooling/config.json": addFile(
    embedderRepo,
    "1_Pooling/config.json",
    Buffer.from('{"pooling_mode_cls_token":true}'),
    false,
  ),
};
const ggufRepo = "test-org/tiny-gguf";
const ggufContent = addFile(
  ggufRepo,
  "model-Q4_K_M.gguf",
  Buffer.concat([Buffer.from("GGUF"), randomBytes(200_000)]),
  true,
);
addFile(ggufRepo, "tampered.gguf", Buffer.from("GGUF bytes that do not match"), true, "ab".repeat(32));
addFile("test-org/gated-model", "model.gguf", Buffer.from("GGUF"), true);

const temporaryDirs: string[] = [];
async function createModelsDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "folio-models-"));
  temporaryDirs.push(dir);
  return dir;
}

function configFor(modelsDir: string, overrides: Record<string, string> = {}): FolioConfig {
  return loadConfig({ MODELS_DIR: modelsDir, HF_ENDPOINT: hubEndpoint, DATA_DIR: modelsDir, ...overrides });
}

async function expectAppError(promise: Promise<unknown>, code: string): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  return error as AppError;
}

beforeAll(async () => {
  hub = http.createServer(handleHub);
  cdn = http.createServer(handleCdn);
  hubEndpoint = await listen(hub);
  cdnOrigin = await listen(cdn);
});

afterEach(() => {
  hubRequests.length = 0;
  cdnRequests.length = 0;
});

afterAll(async () => {
  await Promise.all([hub, cdn].map((server) => new Promise((resolve) => server.close(resolve))));
  await Promise.all(temporaryDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("pullModel", () => {
  it("downloads every file of an embedder directory, verifies LFS sha256 and records the manifest", async () => {
    const modelsDir = await createModelsDir();
    const config = configFor(modelsDir, { HF_TOKEN: "hf_secret_token" });
    const progress: number[] = [];

    const result = await pullModel({
      spec: `hf:${embedderRepo}`,
      config,
      onProgress: (event, receivedBytes) => event.path === "onnx/model.onnx" && progress.push(receivedBytes),
    });

    expect(result.localPath).toBe(path.join(modelsDir, "tiny-embedder"));
    for (const [repoPath, content] of Object.entries(embedderContents)) {
      expect(await readFile(path.join(result.localPath, ...repoPath.split("/")))).toEqual(content);
    }
    const byPath = new Map(result.files.map((file) => [file.path, file]));
    expect(byPath.get("onnx/model.onnx")).toMatchObject({ status: "downloaded", isVerified: true });
    expect(byPath.get("config.json")).toMatchObject({ status: "downloaded", isVerified: false });
    expect(byPath.get("vocab.txt")?.status).toBe("not-in-repo");
    expect(progress.at(-1)).toBe(300_000);

    const manifest = await readManifest(modelsDir);
    expect(manifest.files["tiny-embedder/onnx/model.onnx"]).toMatchObject({
      sha256: sha256Of(embedderContents["onnx/model.onnx"]),
      bytes: 300_000,
      source: `hf:${embedderRepo}@main/onnx/model.onnx`,
    });
    expect(manifest.files["tiny-embedder/1_Pooling/config.json"]?.sha256).toBe(
      sha256Of(embedderContents["1_Pooling/config.json"]),
    );

    // The token reaches the Hub (including its same-origin redirect) but never the CDN.
    expect(hubRequests.length).toBeGreaterThan(0);
    expect(hubRequests.every((request) => request.authorization === "Bearer hf_secret_token")).toBe(true);
    expect(cdnRequests.length).toBe(1);
    expect(cdnRequests[0]?.authorization).toBeUndefined();
  });

  it("downloads nothing on a second pull of files already recorded in the manifest", async () => {
    const modelsDir = await createModelsDir();
    const config = configFor(modelsDir);
    await pullModel({ spec: `hf:${ggufRepo}/model-Q4_K_M.gguf`, config });
    expect(cdnRequests.length).toBe(1);
    hubRequests.length = 0;
    cdnRequests.length = 0;

    const again = await pullModel({ spec: `hf:${ggufRepo}/model-Q4_K_M.gguf`, config });

    expect(again.files[0]).toMatchObject({ status: "already-present", sha256: sha256Of(ggufContent) });
    expect(hubRequests.length).toBe(0);
    expect(cdnRequests.length).toBe(0);
    expect(again.localPath).toBe(path.join(modelsDir, "model-Q4_K_M.gguf"));
  });

  it("keeps a file copied in by hand when its sha256 matches the one the Hub announces", async () => {
    const modelsDir = await createModelsDir();
    await writeFile(path.join(modelsDir, "model-Q4_K_M.gguf"), ggufContent);

    const result = await pullModel({
      spec: `hf:${ggufRepo}/model-Q4_K_M.gguf`,
      config: configFor(modelsDir),
    });

    expect(result.files[0]?.status).toBe("already-present");
    expect(hubRequests.map((request) => request.method)).toEqual(["HEAD"]);
    expect(cdnRequests.length).toBe(0);
    expect((await readManifest(modelsDir)).files["model-Q4_K_M.gguf"]?.source).toBe(
      `hf:${ggufRepo}@main/model-Q4_K_M.gguf`,
    );
  });

  it("deletes the download and leaves no .part file when the sha256 differs from the announced one", async () => {
    const modelsDir = await createModelsDir();
    const error = await expectAppError(
      pullModel({ spec: `hf:${ggufRepo}/tampered.gguf`, config: configFor(modelsDir) }),
      "unavailable:model_checksum_mismatch",
    );
    expect(error.category).toBe("unavailable");
    expect(error.message).toContain("ab".repeat(32));
    expect(await readdir(modelsDir)).toEqual([]);
  });

  it("explains gated repositories and HF_TOKEN on 401", async () => {
    const modelsDir = await createModelsDir();
    const error = await expectAppError(
      pullModel({ spec: "hf:test-org/gated-model/model.gguf", config: configFor(modelsDir) }),
      "forbidden:model_access_denied",
    );
    expect(error.category).toBe("forbidden");
    expect(error.message).toContain("gated");
    expect(error.message).toContain("HF_TOKEN");
    expect(error.details).toMatchObject({ status: 401, hubErrorCode: "GatedRepo" });
  });

  it("reports a file the repository does not have as not_found:model_file", async () => {
    const modelsDir = await createModelsDir();
    const error = await expectAppError(
      pullModel({ spec: `hf:${ggufRepo}/missing.gguf`, config: configFor(modelsDir) }),
      "not_found:model_file",
    );
    expect(error.message).toContain("missing.gguf");
    expect(await readdir(modelsDir)).toEqual([]);
  });

  it("says no network is reachable and how to copy the file by hand when the endpoint is down", async () => {
    const closed = http.createServer();
    const closedEndpoint = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const modelsDir = await createModelsDir();

    const error = await expectAppError(
      pullModel({ spec: "gemma-4-e2b-it", config: configFor(modelsDir, { HF_ENDPOINT: closedEndpoint }) }),
      "unavailable:model_download_failed",
    );
    expect(error.category).toBe("unavailable");
    expect(error.message).toContain("No network");
    expect(error.message).toContain(path.join(modelsDir, "gemma-4-E2B-it-Q4_K_M.gguf"));
    expect(error.message).toContain("/unsloth/gemma-4-E2B-it-GGUF/resolve/main/gemma-4-E2B-it-Q4_K_M.gguf");
  });
});

describe("downloadRepoFile", () => {
  it("returns the sha256 and size of what it wrote", async () => {
    const destination = path.join(await createModelsDir(), "nested", "model.gguf");
    const result = await downloadRepoFile({
      endpoint: hubEndpoint,
      repo: ggufRepo,
      revision: "main",
      path: "model-Q4_K_M.gguf",
      destination,
    });
    expect(result).toMatchObject({
      sha256: sha256Of(ggufContent),
      bytes: ggufContent.length,
      isVerified: true,
      commit,
    });
    expect(existsSync(`${destination}.part`)).toBe(false);
  });
});

describe("getFileSha256", () => {
  it("hashes a file once and answers from the manifest while size and mtime are unchanged", async () => {
    const modelsDir = await createModelsDir();
    const filePath = path.join(modelsDir, "copied-by-hand.gguf");
    const content = randomBytes(50_000);
    await writeFile(filePath, content);

    expect(await getFileSha256({ modelsDir, filePath })).toBe(sha256Of(content));
    const manifest = await readManifest(modelsDir);
    expect(manifest.files["copied-by-hand.gguf"]).toMatchObject({ source: "local", bytes: 50_000 });

    // Replace the recorded hash: if the next call returned the real hash, it would have re-read the file.
    const sentinel = "f".repeat(64);
    const record = manifest.files["copied-by-hand.gguf"];
    if (!record) throw new Error("record missing");
    await writeManifest(modelsDir, { files: { "copied-by-hand.gguf": { ...record, sha256: sentinel } } });
    expect(await getFileSha256({ modelsDir, filePath })).toBe(sentinel);

    // A new mtime means the file may have changed: it is hashed again.
    await utimes(filePath, new Date(), new Date(Date.now() + 5_000));
    expect(await getFileSha256({ modelsDir, filePath })).toBe(sha256Of(content));
  });
});

describe("resolveModelSpec", () => {
  it.each([
    [
      "gemma-4-e2b-it",
      { kind: "generator", repo: "unsloth/gemma-4-E2B-it-GGUF", localName: "gemma-4-E2B-it-Q4_K_M.gguf" },
    ],
    [
      "BGE-small-en-v1.5",
      { kind: "embedder", repo: "BAAI/bge-small-en-v1.5", localName: "bge-small-en-v1.5" },
    ],
    [
      "hf:org/repo/sub/model.gguf",
      { kind: "generator", repo: "org/repo", revision: "main", files: ["sub/model.gguf"] },
    ],
    [
      "hf:org/repo@v1.0/model.gguf",
      { kind: "generator", repo: "org/repo", revision: "v1.0", localName: "model.gguf" },
    ],
    [
      "hf:org/my-embedder@abc123",
      { kind: "embedder", repo: "org/my-embedder", revision: "abc123", localName: "my-embedder" },
    ],
  ])("resolves %s", (spec, expected) => {
    expect(resolveModelSpec(spec)).toMatchObject(expected);
  });

  it.each([
    "no-such-model",
    "hf:org",
    "hf:org/repo/../../etc/passwd.gguf",
    "hf:org/repo/weights.bin",
    "hf:../x/m.gguf",
  ])("rejects %s with the list of aliases", (spec) => {
    let error: unknown;
    try {
      resolveModelSpec(spec);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("invalid:model_spec");
    expect((error as AppError).message).toContain("gemma-4-e2b-it");
  });

  it("resolves configured models to paths and names the command that fetches a missing one", () => {
    const modelsDir = "/srv/models";
    expect(resolveGeneratorModelPath(loadConfig({ MODELS_DIR: modelsDir }))).toBe(
      "/srv/models/gemma-4-E2B-it-Q4_K_M.gguf",
    );
    expect(
      resolveGeneratorModelPath(loadConfig({ MODELS_DIR: modelsDir, GENERATOR_MODEL: "/opt/m.gguf" })),
    ).toBe("/opt/m.gguf");
    expect(
      resolveGeneratorModelPath(loadConfig({ MODELS_DIR: modelsDir, GENERATOR_MODEL: "mine.gguf" })),
    ).toBe("/srv/models/mine.gguf");
    expect(resolveEmbeddingModelDir(loadConfig({ MODELS_DIR: modelsDir }))).toBe(
      "/srv/models/bge-small-en-v1.5",
    );
    const missing = describeMissingModel("generator", loadConfig({ MODELS_DIR: modelsDir }));
    expect(missing.command).toBe("npm run models -- pull gemma-4-e2b-it");
    expect(missing.message).toContain("/srv/models/gemma-4-E2B-it-Q4_K_M.gguf");
    expect(describeMissingModel("embedder", loadConfig({ MODELS_DIR: modelsDir })).command).toBe(
      "npm run models -- pull bge-small-en-v1.5",
    );
  });
});

describe("listModels", () => {
  it("shows what is configured, what is present with its sha256, and the command for what is missing", async () => {
    const modelsDir = await createModelsDir();
    await mkdir(modelsDir, { recursive: true });
    const config = configFor(modelsDir, { GENERATOR_MODEL: `hf:${ggufRepo}/model-Q4_K_M.gguf` });
    await pullModel({ spec: config.generator.model, config });

    const listing = await listModels(config);
    const [generator, embedder] = listing.models;
    expect(generator).toMatchObject({ isConfigured: true, isPresent: true, sha256: sha256Of(ggufContent) });
    expect(embedder).toMatchObject({
      isConfigured: true,
      isPresent: false,
      command: "npm run models -- pull bge-small-en-v1.5",
    });
    expect(embedder?.missingFiles).toContain("onnx/model.onnx");
    expect(listing.models.some((model) => model.name === "gemma-4-e2b-it" && !model.isConfigured)).toBe(true);
  });
});

/** `npm run models -- <args>` with only what the CLI needs: nothing from the developer's shell (GENERATOR_MODEL, HF_TOKEN) leaks in. */
async function runCli(args: string[], modelsDir: string, environment: Record<string, string> = {}) {
  const env = {
    NODE_ENV: "test" as const,
    PATH: process.env.PATH ?? "",
    HOME: os.tmpdir(),
    MODELS_DIR: modelsDir,
    HF_ENDPOINT: hubEndpoint,
    ...environment,
  };
  const tsx = path.resolve("node_modules/.bin/tsx");
  return promisify(execFile)(tsx, ["scripts/models.ts", ...args], { env, timeout: 30_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout: string; stderr: string }) => ({
      code: error.code ?? -1,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );
}

describe("npm run models (CLI)", () => {
  it("pulls with a progress bar and exits 0", async () => {
    const modelsDir = await createModelsDir();
    const result = await runCli(["pull", `hf:${ggufRepo}/model-Q4_K_M.gguf`], modelsDir);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("model-Q4_K_M.gguf");
    expect(result.stderr).toMatch(/\[#+\] 100%/);
    expect(result.stderr).toContain("sha256 verified");
    expect(result.stdout).toContain(path.join(modelsDir, "model-Q4_K_M.gguf"));
    expect(await readFile(path.join(modelsDir, "model-Q4_K_M.gguf"))).toEqual(ggufContent);
  });

  it("exits non-zero with a clear message when the file does not exist", async () => {
    const modelsDir = await createModelsDir();
    const result = await runCli(["pull", `hf:${ggufRepo}/missing.gguf`], modelsDir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Not found on Hugging Face");
    expect(result.stderr).toContain("not_found:model_file");
  });

  it("exits 2 with the list of aliases for an unknown alias", async () => {
    const result = await runCli(["pull", "gpt-5"], await createModelsDir());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("bge-small-en-v1.5");
  });
});

describe("pulling the default embedder alias", () => {
  it("fetches the catalog files, writes the model's query prompt, and the embedder loads the result", async () => {
    const built = await createModelsDir();
    await writeTinyEmbeddingModel(built, { variant: "token" });
    const entry = resolveModelSpec("bge-small-en-v1.5");
    for (const repoPath of entry.files) {
      const content = existsSync(path.join(built, repoPath))
        ? await readFile(path.join(built, repoPath))
        : Buffer.from(repoPath.endsWith("Pooling/config.json") ? '{"pooling_mode_mean_tokens":true}' : "{}");
      addFile(entry.repo, repoPath, content, repoPath.endsWith(".onnx"));
    }

    const modelsDir = await createModelsDir();
    const result = await pullModel({ spec: "bge-small-en-v1.5", config: configFor(modelsDir) });
    const settings = JSON.parse(await readFile(path.join(result.localPath, "folio-embedding.json"), "utf8"));
    expect(settings.prompts.query).toBe("Represent this sentence for searching relevant passages: ");

    const embedder = await OnnxEmbedder.create({ modelDir: result.localPath, threads: 1 });
    try {
      const [asQuery] = await embedder.embed(["helmets in zone seven"], "query");
      const [asDocument] = await embedder.embed(["helmets in zone seven"], "document");
      expect(asQuery).not.toEqual(asDocument);
    } finally {
      await embedder.dispose();
    }
  });
});

describe("pulling a reranker alias (RERANK_MODEL)", () => {
  it("npm run models -- pull fetches the catalog files, list shows it configured, and the reranker loads and scores", async () => {
    const built = await createModelsDir();
    const tiny = await writeTinyCrossEncoder(path.join(built, "tiny"), { labels: ["LABEL_0"] });
    const entry = resolveModelSpec("ms-marco-minilm-l6-v2");
    expect(entry).toMatchObject({ kind: "reranker", repo: "cross-encoder/ms-marco-MiniLM-L6-v2" });
    for (const repoPath of [...entry.files, "tokenizer_config.json"]) {
      addFile(
        entry.repo,
        repoPath,
        await readFile(path.join(tiny.directory, repoPath)),
        repoPath.endsWith(".onnx"),
      );
    }

    const modelsDir = await createModelsDir();
    const environment = { RERANK_MODEL: "ms-marco-minilm-l6-v2" };
    const pulled = await runCli(["pull", "ms-marco-minilm-l6-v2"], modelsDir, environment);
    expect(pulled.code).toBe(0);
    expect(pulled.stderr).toContain("sha256 verified");
    expect(pulled.stdout).toContain(path.join(modelsDir, "ms-marco-MiniLM-L6-v2"));
    const listed = await runCli(["list"], modelsDir, environment);
    expect(listed.stdout).toMatch(/reranker\s+ms-marco-minilm-l6-v2 \(configured\)\n\s+present/);

    const config = configFor(modelsDir, { RERANK_MODEL: "ms-marco-minilm-l6-v2", MODEL_THREADS: "1" });
    const reranker = await loadReranker(config);
    try {
      expect(reranker?.id).toBe("onnx:ms-marco-MiniLM-L6-v2");
      const [score] = (await reranker?.score("helmets", ["Visitors receive a helmet at the gate."])) ?? [];
      expect(score).toBeCloseTo(
        computeTinyCrossEncoderLogits(tiny, "helmets", "Visitors receive a helmet at the gate.")[0] ??
          Number.NaN,
        4,
      );
    } finally {
      await reranker?.dispose();
    }
  });

  it("resolves RERANK_MODEL to a directory, and says how to get a missing one", async () => {
    const modelsDir = await createModelsDir();
    expect(resolveRerankerModelDir(configFor(modelsDir))).toBeUndefined();
    expect(resolveRerankerModelDir(configFor(modelsDir, { RERANK_MODEL: "bge-reranker-base" }))).toBe(
      path.join(modelsDir, "bge-reranker-base"),
    );
    expect(resolveRerankerModelDir(configFor(modelsDir, { RERANK_MODEL: "hf:org/my-reranker" }))).toBe(
      path.join(modelsDir, "my-reranker"),
    );
    expect(() =>
      resolveRerankerModelDir(configFor(modelsDir, { RERANK_MODEL: "bge-small-en-v1.5" })),
    ).toThrow(/an embedder model, not a reranking model/);
    const listing = await listModels(configFor(modelsDir, { RERANK_MODEL: "bge-reranker-base" }));
    expect(listing.models.find((model) => model.kind === "reranker" && model.isConfigured)).toMatchObject({
      name: "bge-reranker-base",
      isPresent: false,
      command: "npm run models -- pull bge-reranker-base",
    });
    expect(describeMissingModel("reranker", configFor(modelsDir, { RERANK_MODEL: "my-dir" }))).toMatchObject({
      command: "npm run models -- pull ms-marco-minilm-l6-v2",
      path: path.join(modelsDir, "my-dir"),
    });
  });
});
