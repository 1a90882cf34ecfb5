import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../lib/config";
import { resolveModelSpec, resolveProjector, resolvePullSpecs } from "../../lib/models/catalog";
import { readGgufHeader } from "../../lib/models/gguf-header";
import { listModels } from "../../lib/models/pull";
import { writeGguf } from "../fixtures/builders/gguf-writer";
import { writeTinyGguf } from "../fixtures/builders/tiny-gguf";
import { buildTinyMmproj, writeTinyMmproj } from "../fixtures/builders/tiny-mmproj";
import { startFakeHub } from "../support/fake-hub";

/**
 * The catalog's vision projectors: `pull <model>` fetches the model and its mmproj, and `list`
 * (the same check `npm start` prints) says when the answering model could read images but has no
 * projector, or has one that does not fit it — each with the command that fixes it.
 */
const run = promisify(execFile);
const tsx = path.resolve("node_modules/.bin/tsx");
const model = resolveModelSpec("gemma-4-e2b-it");
const projector = resolveModelSpec("gemma-4-e2b-it-mmproj");

let directory: string;
let tinyModel: Uint8Array;
let hub: Awaited<ReturnType<typeof startFakeHub>>;
const temporaryDirs: string[] = [];

async function modelsDir(): Promise<string> {
  const dir = await mkdtemp(path.join(directory, "models-"));
  temporaryDirs.push(dir);
  return dir;
}

async function runCli(args: string[], environment: Record<string, string>) {
  const env = { NODE_ENV: "test" as const, PATH: process.env.PATH ?? "", HOME: os.tmpdir(), ...environment };
  return run(tsx, ["scripts/models.ts", ...args], { env, timeout: 30_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout: string; stderr: string }) => ({
      code: error.code ?? -1,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "folio-models-vision-"));
  tinyModel = await readFile(await writeTinyGguf(path.join(directory, "tiny.gguf"), { seed: 5 }));
  hub = await startFakeHub(
    new Map([
      [`${model.repo}/${model.files[0]}`, tinyModel],
      [`${projector.repo}/${projector.files[0]}`, buildTinyMmproj()],
    ]),
  );
});

afterAll(async () => {
  await hub?.close();
  await rm(directory, { recursive: true, force: true });
});

describe("the catalog's projectors", () => {
  it("pairs each Gemma 4 generator with a projector entry and resolves GENERATOR_MMPROJ", () => {
    expect(model.projector).toBe("gemma-4-e2b-it-mmproj");
    expect(projector).toMatchObject({ kind: "projector", repo: "unsloth/gemma-4-E2B-it-GGUF" });
    expect(resolvePullSpecs("gemma-4-e2b-it").map((entry) => entry.alias)).toEqual([
      "gemma-4-e2b-it-mmproj",
      "gemma-4-e2b-it",
    ]);
    expect(resolvePullSpecs("bge-small-en-v1.5").map((entry) => entry.alias)).toEqual(["bge-small-en-v1.5"]);

    const config = (environment: Record<string, string>) =>
      loadConfig({ MODELS_DIR: "/srv/models", ...environment });
    expect(resolveProjector(config({}))).toMatchObject({
      path: "/srv/models/gemma-4-E2B-it-mmproj-F16.gguf",
      isConfigured: false,
      command: "npm run models -- pull gemma-4-e2b-it-mmproj",
    });
    expect(resolveProjector(config({ GENERATOR_MODEL: "mine.gguf" }))).toBeUndefined();
    expect(
      resolveProjector(config({ GENERATOR_MODEL: "mine.gguf", GENERATOR_MMPROJ: "mine-mmproj.gguf" })),
    ).toMatchObject({ path: "/srv/models/mine-mmproj.gguf", isConfigured: true, command: undefined });
    expect(resolveProjector(config({ GENERATOR_MMPROJ: "hf:org/repo/mmproj-Q8_0.gguf" }))).toMatchObject({
      path: "/srv/models/mmproj-Q8_0.gguf",
      command: "npm run models -- pull hf:org/repo/mmproj-Q8_0.gguf",
    });
    expect(() => resolveProjector(config({ GENERATOR_MMPROJ: "bge-small-en-v1.5" }))).toThrow(
      /not a vision projector/,
    );
  });
});

describe("npm run models -- pull <generator>", () => {
  it("fetches the model and its projector, the projector first", async () => {
    const dir = await modelsDir();
    const result = await runCli(["pull", "gemma-4-e2b-it"], { MODELS_DIR: dir, HF_ENDPOINT: hub.endpoint });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`gemma-4-e2b-it-mmproj: ${path.join(dir, projector.localName)}`);
    expect(result.stdout).toContain(`gemma-4-e2b-it: ${path.join(dir, model.localName)}`);
    expect(result.stdout.indexOf("gemma-4-e2b-it-mmproj:")).toBeLessThan(
      result.stdout.indexOf("gemma-4-e2b-it:"),
    );
    expect(await readFile(path.join(dir, projector.localName))).toEqual(Buffer.from(buildTinyMmproj()));
    expect((await readGgufHeader(path.join(dir, projector.localName))).projector?.projectionDim).toBe(32);
    expect((await stat(path.join(dir, model.localName))).size).toBe(tinyModel.length);

    // Pulled again (also named twice): nothing is downloaded.
    const again = await runCli(["pull", "gemma-4-e2b-it", "gemma-4-e2b-it-mmproj"], {
      MODELS_DIR: dir,
      HF_ENDPOINT: hub.endpoint,
    });
    expect(again.code).toBe(0);
    expect(again.stdout.match(/already present\)/g)?.length).toBe(2);
  });
});

describe("npm run models -- list", () => {
  it("reports the catalog model present without its projector, with the command", async () => {
    const dir = await modelsDir();
    await writeFile(path.join(dir, model.localName), tinyModel);
    const listing = await listModels(loadConfig({ MODELS_DIR: dir }));
    expect(listing.models[1]).toMatchObject({
      kind: "projector",
      name: "gemma-4-e2b-it-mmproj",
      isConfigured: true,
      isPresent: false,
      command: "npm run models -- pull gemma-4-e2b-it-mmproj",
    });
    // Shown once: as a missing model (which `npm start` pulls), not again as a problem.
    expect(listing.problems).toEqual([]);

    const result = await runCli(["list"], { MODELS_DIR: dir });
    expect(result.stdout).toMatch(/projector gemma-4-e2b-it-mmproj \(configured\)\n {2}missing/);
    expect(result.stdout).toContain("get it:  npm run models -- pull gemma-4-e2b-it-mmproj");
  });

  it("reports a projector that does not fit the model, with the command that fixes it", async () => {
    const dir = await modelsDir();
    await writeFile(path.join(dir, model.localName), tinyModel);
    // The catalog's file name, but made for a model 48 wide: replaced or damaged on disk.
    await writeTinyMmproj(path.join(dir, projector.localName), { projectionDim: 48 });
    const listing = await listModels(loadConfig({ MODELS_DIR: dir }));
    expect(listing.problems).toEqual([
      {
        message: expect.stringContaining("makes 48-wide embeddings but the llama model takes 32"),
        command: "npm run models -- pull gemma-4-e2b-it-mmproj --force",
      },
    ]);

    // Another model's projector named in GENERATOR_MMPROJ: use the model's own instead.
    const other = await writeTinyMmproj(path.join(dir, "other-mmproj.gguf"), { projectionDim: 64 });
    const configured = await listModels(loadConfig({ MODELS_DIR: dir, GENERATOR_MMPROJ: other }));
    expect(configured.models[1]).toMatchObject({ kind: "projector", name: other, isPresent: true });
    expect(configured.problems[0]?.command).toBe("npm run models -- pull gemma-4-e2b-it-mmproj");
    expect(configured.problems[0]?.message).toContain("Unset GENERATOR_MMPROJ");

    const result = await runCli(["list"], { MODELS_DIR: dir, GENERATOR_MMPROJ: other });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("vision: The vision projector");
    expect(result.stdout).toContain("fix:     npm run models -- pull gemma-4-e2b-it-mmproj");
  });

  it("says when a local model's family reads images but no projector is set; a text-only model stays quiet", async () => {
    const dir = await modelsDir();
    // Only the header matters: a Gemma 4 GGUF as `list` reads it.
    await writeFile(
      path.join(dir, "my-gemma.gguf"),
      writeGguf({
        metadata: [
          ["general.architecture", { type: "string", value: "gemma4" }],
          ["gemma4.embedding_length", { type: "u32", value: 1536 }],
        ],
        tensors: [],
      }),
    );
    const vision = await listModels(loadConfig({ MODELS_DIR: dir, GENERATOR_MODEL: "my-gemma.gguf" }));
    expect(vision.problems).toHaveLength(1);
    expect(vision.problems[0]?.message).toMatch(
      /gemma4 model, which can read figures .* Set GENERATOR_MMPROJ/,
    );
    expect(vision.models.some((entry) => entry.kind === "projector" && entry.isConfigured)).toBe(false);

    await copyFile(path.join(directory, "tiny.gguf"), path.join(dir, "plain.gguf"));
    const textOnly = await listModels(loadConfig({ MODELS_DIR: dir, GENERATOR_MODEL: "plain.gguf" }));
    expect(textOnly.problems).toEqual([]);
  });
});
