import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { getLlama } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../lib/errors";
import { type GenerateRequest, type SamplingParameters, textOf } from "../../lib/llm/generator";
import { LlamaCppGenerator } from "../../lib/llm/llama-cpp-generator";
import { scriptText, writeTinyGguf } from "../fixtures/builders/tiny-gguf";

const sharedDirectory = process.env.FOLIO_SHARED_DIR ?? path.resolve("../shared");
const storiesModelPath = path.join(sharedDirectory, "models", "stories260K.gguf");
const hasStoriesModel = existsSync(storiesModelPath);
if (!hasStoriesModel) console.warn(`Skipping the stories260K test: ${storiesModelPath} is absent.`);

// One thread: tiny models gain nothing from two, and on a busy 2-core machine ggml's spinning
// second thread made generation ~20x slower.
const threads = 1;
const script = ["▁According", "▁to", "▁the", "▁sources", "▁[1]", "▁and", "▁[2]", "."];
const lowTemperature: SamplingParameters = { temperature: 0.2, topP: 0.9, topK: 40, seed: 7 };
const greedy: SamplingParameters = { temperature: 0, topP: 1, topK: 0, seed: 7 };

function request(overrides: Partial<GenerateRequest> = {}): GenerateRequest {
  return {
    system: "Answer only from the numbered sources and cite them as [n].",
    messages: [{ role: "user", content: "What was the total revenue in the report?" }],
    maxTokens: 24,
    sampling: lowTemperature,
    ...overrides,
  };
}

async function collect(pieces: AsyncIterable<string>): Promise<string[]> {
  const collected: string[] = [];
  for await (const piece of pieces) collected.push(piece);
  return collected;
}

let directory: string;
let randomModelPath: string;
let random: LlamaCppGenerator;
let scripted: LlamaCppGenerator;

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-llama-"));
  randomModelPath = await writeTinyGguf(path.join(directory, "tiny-random.gguf"), { seed: 3 });
  const scriptedModelPath = await writeTinyGguf(path.join(directory, "tiny-scripted.gguf"), { script });
  random = await LlamaCppGenerator.create({
    modelPath: randomModelPath,
    modelSha256: "0".repeat(64),
    contextTokens: 4096,
    threads,
  });
  scripted = await LlamaCppGenerator.create({
    modelPath: scriptedModelPath,
    modelSha256: "1".repeat(64),
    contextTokens: 1024,
    threads,
  });
});

afterAll(async () => {
  await random?.dispose();
  await scripted?.dispose();
  await rm(directory, { recursive: true, force: true });
});

describe("LlamaCppGenerator", () => {
  it("describes the loaded model", () => {
    expect(random.id).toBe("llama-cpp:tiny-random.gguf");
    expect(random.modelSha256).toBe("0".repeat(64));
    expect(random.capabilities.vision).toBe(false);
    // Capped at the tiny model's 2048-token train context.
    expect(random.capabilities.contextTokens).toBe(2048);
    expect(scripted.capabilities.contextTokens).toBe(1024);
  });

  it("streams several printable pieces from random weights", async () => {
    const pieces = await collect(random.generate(request()));
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.join("")).toMatch(/^[\x20-\x7e]+$/);
  });

  it("streams exactly the script of a scripted model, greedy or sampled", async () => {
    for (const sampling of [greedy, lowTemperature, { ...lowTemperature, seed: 12345 }]) {
      const pieces = await collect(scripted.generate(request({ sampling, maxTokens: 100 })));
      expect(pieces.join("")).toBe(scriptText(script));
    }
  });

  it("follows the script after any conversation", async () => {
    const conversation = request({
      system: "",
      messages: [
        { role: "user", content: "Hello." },
        { role: "assistant", content: "Hi. Ask about your documents." },
        { role: "user", content: "Which sources mention revenue? Ünïcödé too." },
      ],
    });
    expect((await collect(scripted.generate(conversation))).join("")).toBe(scriptText(script));
  });

  it("reuses what it already read: a follow-up re-reads only its new turn, and answers as fresh", async () => {
    const first = request({ sampling: greedy });
    const firstAnswer = (await collect(scripted.generate(first))).join("");
    const firstPromptTokens = await scripted.countPromptTokens(first);
    const followUp = request({
      sampling: greedy,
      messages: [
        ...first.messages,
        { role: "assistant", content: firstAnswer },
        { role: "user", content: "And in the previous year?" },
      ],
    });
    // The whole first prompt (bar the generation marker the template adds at its end) is held.
    expect(await scripted.reusablePromptTokens(followUp)).toBeGreaterThanOrEqual(firstPromptTokens - 4);
    expect((await collect(scripted.generate(followUp))).join("")).toBe(scriptText(script));

    const unrelated = request({ sampling: greedy, system: "Another system prompt entirely." });
    // Only the template's opening (BOS, the first turn marker) is shared.
    expect(await scripted.reusablePromptTokens(unrelated)).toBeLessThan(12);
    expect((await collect(scripted.generate(unrelated))).join("")).toBe(scriptText(script));
  });

  it("stops at maxTokens", async () => {
    const pieces = await collect(scripted.generate(request({ maxTokens: 3 })));
    expect(pieces.join("")).toBe("According to the");
  });

  it("counts prompt tokens as the chat template renders them", async () => {
    const prompt = request();
    const promptTokens = await scripted.countPromptTokens(prompt);
    const systemTokens = await scripted.countTokens(prompt.system);
    const userTokens = await scripted.countTokens(
      textOf(prompt.messages[0] ?? { role: "user", content: "" }),
    );
    expect(promptTokens).toBeGreaterThan(systemTokens + userTokens);

    // Render the Gemma-style template by hand and tokenize it, special tokens included.
    const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, maxThreads: threads });
    const model = await llama.loadModel({ modelPath: randomModelPath });
    try {
      const rendered =
        `<s><start_of_turn>user\n${prompt.system}\n\n${prompt.messages[0]?.content}<end_of_turn>\n` +
        "<start_of_turn>model\n";
      expect(await random.countPromptTokens(prompt)).toBe(model.tokenize(rendered, true).length);
      expect(await random.countTokens(prompt.system)).toBe(model.tokenize(prompt.system).length);
    } finally {
      await model.dispose();
    }
  });

  it("stops promptly when the signal aborts and throws the abort reason", async () => {
    const controller = new AbortController();
    const pieces: string[] = [];
    const run = async () => {
      for await (const piece of random.generate(request({ maxTokens: 1500, signal: controller.signal }))) {
        pieces.push(piece);
        if (pieces.length === 2) controller.abort();
      }
    };
    await expect(run()).rejects.toMatchObject({ name: "AbortError" });
    expect(pieces.length).toBeLessThan(10);
    // The model is free again.
    expect((await collect(scripted.generate(request()))).join("")).toBe(scriptText(script));
  });

  it("leaves the queue when aborted while waiting", async () => {
    const controller = new AbortController();
    const first = collect(scripted.generate(request()));
    const waiting = collect(scripted.generate(request({ signal: controller.signal })));
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: "AbortError" });
    expect((await first).join("")).toBe(scriptText(script));
  });

  it("serialises concurrent calls without cross-talk", async () => {
    const [fromRandom, fromScripted, again] = await Promise.all([
      collect(random.generate(request({ sampling: greedy }))),
      collect(scripted.generate(request())),
      collect(random.generate(request({ sampling: greedy }))),
    ]);
    expect(fromScripted.join("")).toBe(scriptText(script));
    // Same greedy request on a fresh sequence: same answer, whatever ran before it.
    expect(again.join("")).toBe(fromRandom.join(""));
  });

  it("stops when the consumer breaks out, and generates again afterwards", async () => {
    const started = performance.now();
    for await (const _piece of random.generate(request({ maxTokens: 1500 }))) break;
    expect(performance.now() - started).toBeLessThan(5_000);
    expect((await collect(scripted.generate(request()))).join("")).toBe(scriptText(script));
  });

  it("refuses a prompt longer than the window instead of shifting it out", async () => {
    const tooLong = request({ system: "the sources ".repeat(600) });
    expect(await scripted.countPromptTokens(tooLong)).toBeGreaterThan(scripted.capabilities.contextTokens);
    await expect(collect(scripted.generate(tooLong))).rejects.toMatchObject({
      code: "invalid:prompt_too_long",
    });
    expect((await collect(scripted.generate(request()))).join("")).toBe(scriptText(script));
  });

  it("reports a missing model file as unavailable:generator_missing", async () => {
    const missing = path.join(directory, "absent.gguf");
    const error = await LlamaCppGenerator.create({
      modelPath: missing,
      modelSha256: "",
      contextTokens: 512,
      threads,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "unavailable:generator_missing", category: "unavailable" });
    expect((error as AppError).message).toContain(missing);
  });

  it("reports a garbage file as model_load_failed:generator", async () => {
    const garbagePath = path.join(directory, "garbage.gguf");
    await writeFile(garbagePath, Buffer.from("GGUF this is not a model ".repeat(100)));
    const error = await LlamaCppGenerator.create({
      modelPath: garbagePath,
      modelSha256: "",
      contextTokens: 512,
      threads,
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "unavailable:generator_load_failed", category: "unavailable" });
  });

  it.skipIf(!hasStoriesModel)("loads and generates from the real stories260K model", async () => {
    const stories = await LlamaCppGenerator.create({
      modelPath: storiesModelPath,
      modelSha256: "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d",
      contextTokens: 1024,
      threads,
    });
    try {
      expect(stories.capabilities.contextTokens).toBe(1024);
      const pieces = await collect(
        stories.generate(request({ system: "", messages: [{ role: "user", content: "Once upon a time" }] })),
      );
      expect(pieces.join("").trim().length).toBeGreaterThan(0);
    } finally {
      await stories.dispose();
    }
  });
});
