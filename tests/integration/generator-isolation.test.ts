import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../lib/config";
import { AppError } from "../../lib/errors";
import type { GenerateRequest, SamplingParameters } from "../../lib/llm/generator";
import {
  IsolatedLlamaCppGenerator,
  type IsolatedLlamaCppGeneratorOptions,
} from "../../lib/llm/isolated-llama-cpp-generator";
import { LlamaCppGenerator } from "../../lib/llm/llama-cpp-generator";
import { loadGenerator } from "../../lib/runtime";
import { buildTinyGguf, writeTinyGguf } from "../fixtures/builders/tiny-gguf";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

/**
 * The node-llama-cpp answering model runs in a child process of its own: a native crash of
 * llama.cpp (here: the process killed by a signal mid-answer, or a model file that makes llama.cpp
 * abort while loading) fails the answer in flight with a clear error and never the server.
 */
const threads = 1;
/** For tests that start several processes: each start takes seconds on a busy 2-core machine. */
const severalStartsMs = 180_000;
const greedy: SamplingParameters = { temperature: 0, topP: 1, topK: 0, seed: 7 };
const script = ["▁According", "▁to", "▁the", "▁sources", "▁[1]", "."];

let directory: string;
let randomModelPath: string;
let scriptedModelPath: string;
let random: IsolatedLlamaCppGenerator;

function options(
  overrides: Partial<IsolatedLlamaCppGeneratorOptions> = {},
): IsolatedLlamaCppGeneratorOptions {
  return {
    modelPath: randomModelPath,
    modelSha256: "0".repeat(64),
    contextTokens: 2048,
    threads,
    ...overrides,
  };
}

function request(overrides: Partial<GenerateRequest> = {}): GenerateRequest {
  return {
    system: "Answer only from the numbered sources and cite them as [n].",
    messages: [{ role: "user", content: "What was the total revenue in the report?" }],
    maxTokens: 24,
    sampling: greedy,
    ...overrides,
  };
}

async function collect(pieces: AsyncIterable<string>): Promise<string> {
  let joined = "";
  for await (const piece of pieces) joined += piece;
  return joined;
}

/** The running child's pid (never 0 or undefined: `process.kill(0, …)` would signal this process group). */
function childPidOf(generator: IsolatedLlamaCppGenerator): number {
  const pid = generator.childPid;
  if (pid === undefined || pid <= 0) throw new Error("no child process runs");
  return pid;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function commandLineOf(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
}

/** Streams until the first piece, runs `then`, and returns how the rest of the stream ended. */
async function afterFirstPiece(pieces: AsyncIterable<string>, then: () => void): Promise<unknown> {
  let isFirst = true;
  try {
    for await (const _piece of pieces) {
      if (isFirst) then();
      isFirst = false;
    }
    return undefined;
  } catch (error) {
    return error;
  }
}

/**
 * A model whose vocabulary lacks the newline byte token `<0x0A>`: llama.cpp throws an uncaught
 * std::out_of_range while loading it, and the process aborts (SIGABRT).
 */
async function writeCrashingModel(filePath: string): Promise<string> {
  const bytes = Buffer.from(buildTinyGguf({ seed: 5 }));
  const at = bytes.indexOf("<0x0A>");
  expect(at).toBeGreaterThan(0);
  bytes.write("<0x0a>", at);
  await writeFile(filePath, bytes);
  return filePath;
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-isolation-"));
  randomModelPath = await writeTinyGguf(path.join(directory, "tiny-random.gguf"), { seed: 3 });
  scriptedModelPath = await writeTinyGguf(path.join(directory, "tiny-scripted.gguf"), { script });
  // Killed several times below: a budget that outlasts the tests.
  random = await IsolatedLlamaCppGenerator.create(
    options({ restartLimits: { maxFailures: 10, windowMs: 60_000 } }),
  );
});

afterAll(async () => {
  await random?.dispose();
  await rm(directory, { recursive: true, force: true });
});

describe("IsolatedLlamaCppGenerator", () => {
  it("answers from a child process, with the in-process generator's text and counts", async () => {
    const pid = random.childPid;
    expect(pid).toBeDefined();
    expect(pid).not.toBe(process.pid);
    expect(commandLineOf(childPidOf(random))).toContain("llama-cpp-child.ts");
    expect(random.id).toBe("llama-cpp:tiny-random.gguf");
    expect(random.capabilities).toEqual({
      contextTokens: 2048,
      vision: false,
      maxImagesPerPrompt: 0,
      imageTokens: 0,
    });

    const inProcess = await LlamaCppGenerator.create(options());
    try {
      const prompt = request({ maxTokens: 40 });
      const answer = await collect(random.generate(prompt));
      expect(answer.length).toBeGreaterThan(20);
      expect(answer).toBe(await collect(inProcess.generate(prompt)));
      expect(await random.countPromptTokens(prompt)).toBe(await inProcess.countPromptTokens(prompt));
      const texts = ["the total revenue", "Ünïcödé [1] and [2].", ""];
      // Counted in one round trip, each as the in-process tokenizer counts it.
      expect(await Promise.all(texts.map((text) => random.countTokens(text)))).toEqual(
        await Promise.all(texts.map((text) => inProcess.countTokens(text))),
      );
    } finally {
      await inProcess.dispose();
    }
    expect(random.childPid).toBe(pid);
  });

  it("keeps the adapter's errors: a prompt longer than the window, images", async () => {
    await expect(
      collect(random.generate(request({ system: "the sources ".repeat(1200) }))),
    ).rejects.toMatchObject({
      code: "invalid:prompt_too_long",
    });
    const image = { type: "image" as const, image: { path: "/nonexistent.png", sha256: "0".repeat(64) } };
    await expect(
      random.countPromptTokens({ system: "", messages: [{ role: "user", content: [image] }] }),
    ).rejects.toMatchObject({ code: "invalid:images_unsupported" });
  });

  it(
    "fails the answer in flight when the process is killed, and starts a new one for the next question",
    async () => {
      for (const signal of ["SIGKILL", "SIGSEGV"] as const) {
        const pid = childPidOf(random);
        const restarts = random.restarts;
        const error = await afterFirstPiece(
          random.generate(request({ maxTokens: 1500, sampling: { ...greedy, temperature: 0.7 } })),
          () => process.kill(pid, signal),
        );
        expect(error).toBeInstanceOf(AppError);
        expect(error).toMatchObject({
          code: "unavailable:generator_unreachable",
          message: `The answering model stopped unexpectedly (signal ${signal}); it is started again for the next question — ask again.`,
        });
        // This process is alive; the child is gone.
        expect(isAlive(process.pid)).toBe(true);
        expect(isAlive(pid)).toBe(false);

        expect(await collect(random.generate(request()))).not.toBe("");
        expect(random.restarts).toBe(restarts + 1);
        expect(random.childPid).toBeDefined();
        expect(random.childPid).not.toBe(pid);
      }
    },
    severalStartsMs,
  );

  it("serves a question queued behind the crashed one from the new process", async () => {
    const pid = childPidOf(random);
    const crashed = afterFirstPiece(random.generate(request({ maxTokens: 1500 })), () =>
      process.kill(pid, "SIGKILL"),
    );
    const queued = collect(random.generate(request()));
    expect(await crashed).toMatchObject({ code: "unavailable:generator_unreachable" });
    expect(await queued).not.toBe("");
    expect(childPidOf(random)).not.toBe(pid);
  });

  it("leaves the queue when aborted while waiting", async () => {
    const controller = new AbortController();
    const first = collect(random.generate(request()));
    const waiting = collect(random.generate(request({ signal: controller.signal })));
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: "AbortError" });
    expect(await first).not.toBe("");
  });

  it("counts tokens again after the process died while idle", async () => {
    const pid = childPidOf(random);
    process.kill(pid, "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await random.countTokens("the total revenue")).toBeGreaterThan(0);
    expect(random.childPid).not.toBe(pid);
  });

  it("stops the child's generation when the signal aborts, and serves the next question promptly", async () => {
    const controller = new AbortController();
    const pid = random.childPid;
    const error = await afterFirstPiece(
      random.generate(
        request({ maxTokens: 1500, sampling: { ...greedy, temperature: 0.7 }, signal: controller.signal }),
      ),
      () => controller.abort(),
    );
    expect(error).toMatchObject({ name: "AbortError" });
    // The child stopped: it sent a handful of pieces out of 1500, and was not killed for it.
    expect(random.lastGeneration?.wasStopped).toBe(true);
    expect(random.lastGeneration?.pieces).toBeLessThan(50);
    expect(random.childPid).toBe(pid);
    expect(await collect(random.generate(request()))).not.toBe("");
  });

  it(
    "kills a process that hangs and ignores the stop, so the next question is not held for good",
    async () => {
      const frozen = await IsolatedLlamaCppGenerator.create(options({ stopGraceMs: 300 }));
      try {
        const pid = childPidOf(frozen);
        const controller = new AbortController();
        const error = await afterFirstPiece(
          frozen.generate(request({ maxTokens: 1500, signal: controller.signal })),
          () => {
            process.kill(pid, "SIGSTOP"); // a native call that never returns, as far as Folio can tell
            controller.abort();
          },
        );
        expect(error).toMatchObject({ name: "AbortError" });
        expect(frozen.childPid).toBeUndefined();
        expect(await collect(frozen.generate(request({ maxTokens: 3 })))).not.toBe("");
        expect(childPidOf(frozen)).not.toBe(pid);
      } finally {
        await frozen.dispose();
      }
    },
    severalStartsMs,
  );

  it(
    "reports a model that crashes llama.cpp while loading, and stops trying after three crashes",
    async () => {
      const crashing = await writeCrashingModel(path.join(directory, "crashing.gguf"));
      const limits = { maxFailures: 3, windowMs: 60_000 };
      for (let attempt = 1; attempt <= 3; attempt++) {
        const error = await IsolatedLlamaCppGenerator.create(
          options({ modelPath: crashing, restartLimits: limits }),
        ).catch((caught: unknown) => caught);
        expect(error).toMatchObject({ code: "unavailable:generator_load_failed" });
        expect((error as Error).message).toMatch(/could not be loaded: its process crashed \(SIGABRT\)/);
        expect((error as Error).message).toContain("std::out_of_range");
      }
      const started = performance.now();
      const refused = await IsolatedLlamaCppGenerator.create(
        options({ modelPath: crashing, restartLimits: limits }),
      ).catch((caught: unknown) => caught);
      // Refused at once, without a process: the reason and when it tries again.
      expect(performance.now() - started).toBeLessThan(200);
      expect(refused).toMatchObject({ code: "unavailable:generator_load_failed" });
      expect((refused as AppError).message).toMatch(
        /failed 3 times within 60 s \(last: its process crashed \(SIGABRT\).*\); it is not started again for \d+ s/,
      );
      expect((refused as AppError).retryAfterSeconds).toBeGreaterThan(0);
      // Another model file is not held back.
      await (
        await IsolatedLlamaCppGenerator.create(
          options({ modelPath: scriptedModelPath, restartLimits: limits }),
        )
      ).dispose();
    },
    severalStartsMs,
  );

  it(
    "stops restarting a model that keeps crashing while answering",
    async () => {
      const fragile = await IsolatedLlamaCppGenerator.create(
        options({ restartLimits: { maxFailures: 2, windowMs: 60_000 } }),
      );
      try {
        for (let crash = 1; crash <= 2; crash++) {
          // Starts the process again after the first crash.
          await fragile.countTokens("again");
          const pid = childPidOf(fragile);
          const error = await afterFirstPiece(fragile.generate(request({ maxTokens: 1500 })), () =>
            process.kill(pid, "SIGSEGV"),
          );
          expect(error).toMatchObject({ code: "unavailable:generator_unreachable" });
        }
        const refused = await collect(fragile.generate(request())).catch((caught: unknown) => caught);
        expect(refused).toMatchObject({
          code: "unavailable:generator_load_failed",
          message: expect.stringMatching(/SIGSEGV/),
        });
        expect(fragile.childPid).toBeUndefined();
      } finally {
        await fragile.dispose();
      }
    },
    severalStartsMs,
  );
});

describe("loadGenerator", () => {
  it("runs the llama-cpp backend in a child process", async () => {
    const models = await buildTestModels(path.join(directory, "models"));
    const config = loadConfig({
      DATA_DIR: directory,
      ...testModelEnvironment(models, path.join(directory, "models")),
    });
    const generator = await loadGenerator(config, { log: () => undefined, reportVisionOff: () => undefined });
    try {
      expect(generator).toBeInstanceOf(IsolatedLlamaCppGenerator);
      expect((generator as IsolatedLlamaCppGenerator).childPid).not.toBe(process.pid);
      expect(generator.capabilities.contextTokens).toBe(4096);
    } finally {
      await generator.dispose();
    }
  });
});
