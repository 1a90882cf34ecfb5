import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp, { type Sharp } from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../lib/errors";
import type { GenerateRequest, MessagePart, PromptImage, SamplingParameters } from "../../lib/llm/generator";
import { LlamaCppGenerator } from "../../lib/llm/llama-cpp-generator";
import { LlamaNodeGenerator, type LlamaNodeGeneratorOptions } from "../../lib/llm/llama-node-generator";
import { RoutingGenerator } from "../../lib/llm/routing-generator";
import { scriptText, writeTinyGguf } from "../fixtures/builders/tiny-gguf";
import { tinyMmprojImageTokens, writeTinyMmproj } from "../fixtures/builders/tiny-mmproj";

/**
 * The vision adapter on a tiny random text model and a tiny random projector built here: every
 * image really goes through libmtmd's encoder (32×32 pixels, 8×8 patches → 16 tokens).
 */
const threads = 1;
const greedy: SamplingParameters = { temperature: 0.2, topP: 1, topK: 1, seed: 7 };
const script = ["▁According", "▁to", "▁the", "▁sources", "▁[1]", "."];

let directory: string;
let modelPath: string;
let projectorPath: string;
let vision: LlamaNodeGenerator;
let images: Record<"red" | "blue" | "photo", PromptImage>;
let createMilliseconds: number;

async function writeImage(name: string, image: Sharp): Promise<PromptImage> {
  const filePath = path.join(directory, `${name}.png`);
  await image.png().toFile(filePath);
  return {
    path: filePath,
    sha256: createHash("sha256")
      .update(await readFile(filePath))
      .digest("hex"),
  };
}

function solid(color: string, width = 64, height = 64): Sharp {
  return sharp({ create: { width, height, channels: 3, background: color } });
}

function options(overrides: Partial<LlamaNodeGeneratorOptions> = {}): LlamaNodeGeneratorOptions {
  return {
    modelPath,
    projectorPath,
    modelSha256: "a".repeat(64),
    contextTokens: 1024,
    threads,
    maxImagesPerPrompt: 3,
    ...overrides,
  };
}

function ask(parts: MessagePart[], overrides: Partial<GenerateRequest> = {}): GenerateRequest {
  return {
    system: "Answer from the figure.",
    messages: [{ role: "user", content: parts }],
    maxTokens: 12,
    sampling: greedy,
    ...overrides,
  };
}

const text = (value: string): MessagePart => ({ type: "text", text: value });
const picture = (image: PromptImage): MessagePart => ({ type: "image", image });

/** Processes this test process started that run the vision child program (Linux /proc). */
function childPids(): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const status = readFileSync(`/proc/${entry}/status`, "utf8");
        const parent = /^PPid:\s+(\d+)$/m.exec(status)?.[1];
        return (
          Number(parent) === process.pid &&
          readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("llama-node-child")
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function collect(pieces: AsyncIterable<string>): Promise<string> {
  let joined = "";
  for await (const piece of pieces) joined += piece;
  return joined;
}

async function expectAppError(promise: Promise<unknown>, code: string): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  return error as AppError;
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-llama-node-"));
  modelPath = await writeTinyGguf(path.join(directory, "tiny-random.gguf"), { seed: 3 });
  projectorPath = await writeTinyMmproj(path.join(directory, "tiny-mmproj.gguf"));
  images = {
    red: await writeImage("red", solid("#ff0000")),
    blue: await writeImage("blue", solid("#0000ff")),
    // Larger than the projector's 32 px and not square: resized before it reaches libmtmd.
    photo: await writeImage("photo", solid("#20a040", 300, 120)),
  };
  const started = performance.now();
  vision = await LlamaNodeGenerator.create(options());
  createMilliseconds = performance.now() - started;
});

afterAll(async () => {
  await vision?.dispose();
  await rm(directory, { recursive: true, force: true });
});

describe("LlamaNodeGenerator", () => {
  it("loads the pair and measures the tokens one image takes", () => {
    console.info(`tiny pair loaded in its child process in ${createMilliseconds.toFixed(0)} ms`);
    expect(vision.id).toBe("llama-node:tiny-random.gguf");
    expect(vision.modelSha256).toBe("a".repeat(64));
    expect(vision.capabilities).toEqual({
      contextTokens: 1024,
      vision: true,
      maxImagesPerPrompt: 3,
      imageTokens: tinyMmprojImageTokens(),
    });
    expect(vision.capabilities.imageTokens).toBe(16);
  });

  it("counts each image as exactly imageTokens more, and llama.cpp evaluates that count", async () => {
    const question = [text("What does the figure show?")];
    const withoutImage = await vision.countPromptTokens(ask(question));
    const withOne = await vision.countPromptTokens(ask([...question, picture(images.red)]));
    const withTwo = await vision.countPromptTokens(
      ask([...question, picture(images.red), picture(images.photo)]),
    );
    expect(withOne - withoutImage).toBe(16);
    expect(withTwo - withoutImage).toBe(32);

    for (const [request, counted] of [
      [ask(question), withoutImage],
      [ask([...question, picture(images.red)]), withOne],
      [ask([...question, picture(images.red), picture(images.photo)]), withTwo],
    ] as const) {
      await collect(vision.generate(request));
      expect(vision.lastUsage?.promptTokens).toBe(counted);
      expect(vision.lastUsage?.computedPromptTokens).toBeLessThanOrEqual(counted);
    }
    // The window is kept between answers: the same prompt again is read from the cache, images
    // too — unless the binding got stuck after the first and its context was replaced (empty).
    const again = ask([...question, picture(images.red), picture(images.photo)]);
    for (let attempt = 0; attempt < 5; attempt++) {
      const reloads = vision.nativeReloads;
      await collect(vision.generate(again));
      if (vision.nativeReloads !== reloads) continue;
      await collect(vision.generate(again));
      expect(vision.lastUsage?.promptTokens).toBe(withTwo);
      expect(vision.lastUsage?.computedPromptTokens).toBeLessThanOrEqual(2);
      return;
    }
    expect.unreachable("the context was replaced after every attempt");
  });

  it("really reads the image: a different picture changes what a random model says", async () => {
    const question = [text("Describe"), picture(images.red), text("please.")];
    const red = await collect(vision.generate(ask(question)));
    const redAgain = await collect(vision.generate(ask(question)));
    const blue = await collect(
      vision.generate(ask([text("Describe"), picture(images.blue), text("please.")])),
    );
    expect(red.length).toBeGreaterThan(0);
    expect(redAgain).toBe(red);
    expect(blue).not.toBe(red);
  });

  it("stops promptly when the signal aborts, and answers again afterwards", async () => {
    const controller = new AbortController();
    const started = performance.now();
    let pieces = 0;
    const run = async () => {
      for await (const _piece of vision.generate(
        ask([text("Go on"), picture(images.blue)], { maxTokens: 900, signal: controller.signal }),
      )) {
        pieces += 1;
        if (pieces === 2) controller.abort();
      }
    };
    await expect(run()).rejects.toMatchObject({ name: "AbortError" });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(vision.lastUsage?.generatedTokens).toBeLessThan(900);
    expect(await collect(vision.generate(ask([text("Again"), picture(images.red)])))).not.toBe("");
  });

  it("leaves the queue when aborted while waiting, and serves calls one at a time in order", async () => {
    const controller = new AbortController();
    const order: string[] = [];
    const first = collect(vision.generate(ask([text("one"), picture(images.red)]))).then((answer) => {
      order.push("first");
      return answer;
    });
    const waiting = collect(vision.generate(ask([text("two")], { signal: controller.signal })));
    const third = collect(vision.generate(ask([text("three"), picture(images.blue)]))).then((answer) => {
      order.push("third");
      return answer;
    });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: "AbortError" });
    expect((await first).length).toBeGreaterThan(0);
    expect((await third).length).toBeGreaterThan(0);
    expect(order).toEqual(["first", "third"]);
  });

  it("keeps answering through many short completions (a stuck binding context is replaced)", async () => {
    const answers: string[] = [];
    for (let index = 0; index < 30; index++) {
      answers.push(
        await collect(vision.generate(ask([text(`n${index % 3}`), picture(images.red)], { maxTokens: 4 }))),
      );
    }
    expect(answers.every((answer) => answer.length > 0)).toBe(true);
    // The same request gives the same answer, whichever native context served it.
    expect(new Set(answers.filter((_answer, index) => index % 3 === 0)).size).toBe(1);
    console.info(`native context replaced ${vision.nativeReloads} times so far`);
  });

  it("refuses a prompt longer than the window, and more images than allowed", async () => {
    await expectAppError(
      collect(vision.generate(ask([text("the sources ".repeat(700)), picture(images.red)]))),
      "invalid:prompt_too_long",
    );
    const four = [images.red, images.blue, images.photo, images.red].map(picture);
    await expectAppError(vision.countPromptTokens(ask(four)), "invalid:too_many_images");
    await expectAppError(collect(vision.generate(ask(four))), "invalid:too_many_images");
    expect(await collect(vision.generate(ask([text("ok"), picture(images.red)])))).not.toBe("");
  });

  it("reports a missing projector as unavailable:generator_missing", async () => {
    const missing = path.join(directory, "absent-mmproj.gguf");
    const error = await expectAppError(
      LlamaNodeGenerator.create(options({ projectorPath: missing })),
      "unavailable:generator_missing",
    );
    expect(error.message).toContain(missing);
  });

  it("refuses a projector made for another model before loading anything", async () => {
    const otherWidth = await writeTinyMmproj(path.join(directory, "mmproj-48.gguf"), { projectionDim: 48 });
    const error = await expectAppError(
      LlamaNodeGenerator.create(options({ projectorPath: otherWidth })),
      "unavailable:generator_load_failed",
    );
    expect(error.message).toContain("48-wide");
    expect(error.message).toContain("takes 32");
    // The text model given as projector, and the projector given as model.
    await expectAppError(
      LlamaNodeGenerator.create(options({ projectorPath: modelPath })),
      "unavailable:generator_load_failed",
    );
    await expectAppError(
      LlamaNodeGenerator.create(options({ modelPath: projectorPath })),
      "unavailable:generator_load_failed",
    );
  });

  it("survives a projector that crashes llama.cpp: the model runs in a child process", async () => {
    const broken = await writeTinyMmproj(path.join(directory, "mmproj-broken.gguf"), {
      omitTensors: ["mm.2.weight"],
    });
    const error = await expectAppError(
      LlamaNodeGenerator.create(options({ projectorPath: broken })),
      "unavailable:generator_load_failed",
    );
    expect(error.message).toContain("could not be loaded");
    expect(String((error.cause as Error | undefined)?.message)).toMatch(/crashed \(SIG(SEGV|ABRT)\)/);
    // This process is alive and the loaded pair still answers.
    expect(await collect(vision.generate(ask([text("still here"), picture(images.red)])))).not.toBe("");
  });

  it("kills a process that hangs and ignores the stop, so the model lock is not held for good", async () => {
    const before = new Set(childPids());
    const frozen = await LlamaNodeGenerator.create(options({ stopGraceMs: 300 }));
    try {
      const [pid] = childPids().filter((candidate) => !before.has(candidate));
      if (pid === undefined) throw new Error("no child process");
      const controller = new AbortController();
      const pieces = frozen.generate(ask([text("hang")], { maxTokens: 400, signal: controller.signal }));
      const iterator = pieces[Symbol.asyncIterator]();
      await iterator.next();
      process.kill(pid, "SIGSTOP"); // a native call that never returns, as far as Folio can tell
      controller.abort(new Error("stop button"));
      await expect(collect({ [Symbol.asyncIterator]: () => iterator })).rejects.toThrow();
      expect(childPids()).not.toContain(pid);
      expect((await collect(frozen.generate(ask([text("again")], { maxTokens: 3 })))).length).toBeGreaterThan(
        0,
      );
    } finally {
      await frozen.dispose();
    }
  });

  it("starts its process again when it dies, with the same answers", async () => {
    const request = ask([text("again"), picture(images.blue)]);
    const before = await collect(vision.generate(request));
    const reloads = vision.nativeReloads;
    for (const pid of childPids()) process.kill(pid, "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await collect(vision.generate(request))).toBe(before);
    expect(vision.nativeReloads).toBeGreaterThan(reloads);
  });
});

describe("RoutingGenerator", () => {
  it("sends text-only requests to the text generator and image requests to the vision one", async () => {
    const scriptedPath = await writeTinyGguf(path.join(directory, "tiny-scripted.gguf"), { script });
    const scriptedText = await LlamaCppGenerator.create({
      modelPath: scriptedPath,
      modelSha256: "b".repeat(64),
      contextTokens: 2048,
      threads,
    });
    const visionOfRandom = await LlamaNodeGenerator.create(
      options({ contextTokens: 512, modelSha256: "c".repeat(64) }),
    );
    const routed = new RoutingGenerator({ text: scriptedText, vision: visionOfRandom });
    try {
      expect(routed.id).toBe("llama-cpp:tiny-scripted.gguf+mmproj");
      expect(routed.modelSha256).toBe(`${"b".repeat(64)}+${"c".repeat(64)}`);
      expect(routed.capabilities).toMatchObject({ vision: true, imageTokens: 16, contextTokens: 512 });

      const textOnly = ask([text("What was the revenue?")]);
      expect(await collect(routed.generate(textOnly))).toBe(scriptText(script));
      expect(await routed.countPromptTokens(textOnly)).toBe(await scriptedText.countPromptTokens(textOnly));

      const withImage = ask([text("What was the revenue?"), picture(images.red)]);
      expect(await routed.countPromptTokens(withImage)).toBe(
        await visionOfRandom.countPromptTokens(withImage),
      );
      const seen = await collect(routed.generate(withImage));
      expect(seen).not.toBe(scriptText(script));
      expect(visionOfRandom.lastUsage?.promptTokens).toBe(await visionOfRandom.countPromptTokens(withImage));

      // Concurrent requests of both kinds are served one after the other without cross-talk.
      const [first, second] = await Promise.all([
        collect(routed.generate(withImage)),
        collect(routed.generate(textOnly)),
      ]);
      expect(first).toBe(seen);
      expect(second).toBe(scriptText(script));
    } finally {
      await routed.dispose();
    }
  });
});
