import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../lib/config";
import type { Generator } from "../../lib/llm/generator";
import { resolveModelSpec } from "../../lib/models/catalog";
import { loadGenerator, type VisionReporting } from "../../lib/runtime";
import { writeTinyMmproj } from "../fixtures/builders/tiny-mmproj";
import {
  buildTestModels,
  expectedAnswerText,
  type TestModels,
  testModelEnvironment,
} from "../support/test-models";
import { createTestFolio } from "../support/test-runtime";

/**
 * `lib/runtime.ts` loads the answering model with its vision projector when one is configured
 * (GENERATOR_MMPROJ) or the catalog names one for the model; a configured projector that is missing
 * or unfit makes answering unavailable with the reason, the catalog's merely leaves text answers
 * and a reported problem with its command.
 */
const catalogModel = resolveModelSpec("gemma-4-e2b-it");
const catalogProjector = resolveModelSpec("gemma-4-e2b-it-mmproj");

let directory: string;
let models: TestModels;
let projectorPath: string;
let unfitProjectorPath: string;

function configWith(environment: Record<string, string>) {
  return loadConfig({
    DATA_DIR: directory,
    ...testModelEnvironment(models, path.join(directory, "models")),
    ...environment,
  });
}

async function load(environment: Record<string, string>) {
  const logged: string[] = [];
  const problems: Parameters<VisionReporting["reportVisionOff"]>[0][] = [];
  const generator = await loadGenerator(configWith(environment), {
    log: (message) => logged.push(message),
    reportVisionOff: (problem) => problems.push(problem),
  });
  return { generator, logged, problems };
}

/** A models directory holding the test model under the catalog's Gemma 4 E2B name, and maybe a projector. */
async function catalogLayout(name: string, projectionDim?: number): Promise<string> {
  const modelsDir = path.join(directory, name);
  await buildTestModels(modelsDir);
  await copyFile(models.generatorPath, path.join(modelsDir, catalogModel.localName));
  if (projectionDim)
    await writeTinyMmproj(path.join(modelsDir, catalogProjector.localName), { projectionDim });
  return modelsDir;
}

async function answer(generator: Generator): Promise<string> {
  let text = "";
  for await (const piece of generator.generate({
    system: "",
    messages: [{ role: "user", content: "Hello?" }],
    maxTokens: 64,
    sampling: { temperature: 0.2, topP: 0.9, topK: 40, seed: 1 },
  })) {
    text += piece;
  }
  return text;
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-vision-runtime-"));
  models = await buildTestModels(path.join(directory, "models"));
  // The scripted test model is 32 wide: one projector fits it, one was made for another model.
  projectorPath = await writeTinyMmproj(path.join(directory, "tiny-mmproj.gguf"));
  unfitProjectorPath = await writeTinyMmproj(path.join(directory, "mmproj-48.gguf"), { projectionDim: 48 });
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("loadGenerator with a vision projector", () => {
  it("routes through the vision adapter when GENERATOR_MMPROJ names a projector that fits", async () => {
    const { generator, logged, problems } = await load({
      GENERATOR_MMPROJ: projectorPath,
      ANSWER_MAX_IMAGES: "2",
    });
    try {
      expect(generator.id).toBe("llama-cpp:tiny-scripted.gguf+mmproj:tiny-mmproj.gguf");
      // The audit trail records both files.
      expect(generator.modelSha256).toMatch(/^[0-9a-f]{64}\+[0-9a-f]{64}$/);
      expect(generator.capabilities).toMatchObject({ vision: true, maxImagesPerPrompt: 2, imageTokens: 16 });
      expect(logged).toEqual([expect.stringMatching(/^Vision on: tiny-mmproj\.gguf .* 16 tokens an image/)]);
      expect(problems).toEqual([]);
      // Text-only requests still go to the scripted text model.
      expect(await answer(generator)).toBe(expectedAnswerText);
    } finally {
      await generator.dispose();
    }
  });

  it("keeps a text-only setup as it was, and loads no projector with ANSWER_MAX_IMAGES=0", async () => {
    const environments: Record<string, string>[] = [
      {},
      { GENERATOR_MMPROJ: projectorPath, ANSWER_MAX_IMAGES: "0" },
    ];
    for (const environment of environments) {
      const { generator, logged, problems } = await load(environment);
      expect(generator.id).toBe("llama-cpp:tiny-scripted.gguf");
      expect(generator.capabilities.vision).toBe(false);
      expect([logged, problems]).toEqual([[], []]);
      await generator.dispose();
    }
  });

  it("fails with the reason when GENERATOR_MMPROJ is missing or does not fit", async () => {
    const absent = path.join(directory, "absent-mmproj.gguf");
    await expect(load({ GENERATOR_MMPROJ: absent })).rejects.toMatchObject({
      code: "unavailable:generator_missing",
      message: expect.stringContaining(absent),
    });
    await expect(load({ GENERATOR_MMPROJ: unfitProjectorPath })).rejects.toMatchObject({
      code: "unavailable:generator_load_failed",
      message: expect.stringContaining("makes 48-wide embeddings"),
    });
  });

  it("uses the catalog's projector of the model when present, else answers from text and reports it", async () => {
    const paired = await load({
      MODELS_DIR: await catalogLayout("paired", 32),
      GENERATOR_MODEL: "gemma-4-e2b-it",
    });
    expect(paired.generator.id).toBe(
      `llama-cpp:${catalogModel.localName}+mmproj:${catalogProjector.localName}`,
    );
    await paired.generator.dispose();

    const absent = await load({
      MODELS_DIR: await catalogLayout("absent"),
      GENERATOR_MODEL: "gemma-4-e2b-it",
    });
    expect(absent.generator.capabilities.vision).toBe(false);
    expect(absent.problems).toEqual([
      expect.objectContaining({
        code: "unavailable:generator_missing",
        command: "npm run models -- pull gemma-4-e2b-it-mmproj",
      }),
    ]);
    await absent.generator.dispose();

    const unfit = await load({
      MODELS_DIR: await catalogLayout("unfit", 48),
      GENERATOR_MODEL: "gemma-4-e2b-it",
    });
    expect(unfit.generator.capabilities.vision).toBe(false);
    expect(unfit.problems).toEqual([
      expect.objectContaining({
        code: "unavailable:generator_load_failed",
        command: "npm run models -- pull gemma-4-e2b-it-mmproj --force",
      }),
    ]);
    await unfit.generator.dispose();
  });
});

describe("createFolio", () => {
  it("shows a missing catalog projector in the model status, with the command, while answering works", async () => {
    const folio = await createTestFolio({
      environment: { MODELS_DIR: await catalogLayout("status"), GENERATOR_MODEL: "gemma-4-e2b-it" },
    });
    try {
      expect(await answer(await folio.generator())).toBe(expectedAnswerText);
      expect((await folio.modelStatus()).find((status) => status.kind === "generator")).toMatchObject({
        isReady: true,
        problem: {
          code: "unavailable:generator_missing",
          command: "npm run models -- pull gemma-4-e2b-it-mmproj",
          message: expect.stringContaining("is missing"),
        },
      });
    } finally {
      await folio.close();
    }
  });
});
