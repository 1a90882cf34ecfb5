import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import type { GenerateRequest, Generator } from "../../lib/llm/generator";
import { LlamaCppGenerator } from "../../lib/llm/llama-cpp-generator";
import { LlamaNodeGenerator } from "../../lib/llm/llama-node-generator";
import { renderText } from "../../tests/fixtures/builders/images";
import { writeTinyGguf } from "../../tests/fixtures/builders/tiny-gguf";
import { writeTinyMmproj } from "../../tests/fixtures/builders/tiny-mmproj";
import { computePercentile, roundTo } from "./statistics";
import { printTable } from "./table";

/** Time to the first answer piece with and without one image, through the vision adapter. */
export interface ImageCost {
  model: string;
  imageTokens: number;
  firstTokenMsWithoutImage: number | null;
  firstTokenMsWithImage: number | null;
}

export interface ModelSpeed {
  model: string;
  promptTokens: number;
  /** Reading the prompt: ms per 1,000 prompt tokens (time to the first answer piece). */
  prefillMsPer1kTokens: number | null;
  /** Writing the answer: tokens per second after the first. */
  decodeTokensPerSecond: number | null;
}

const promptTargetTokens = 1_000;
const decodeTokens = 64;
const filler =
  "The quarterly report describes revenue, costs, staff, sites, suppliers and risks in plain words. ";

/**
 * How fast the answering models on this machine read a prompt and write an answer: the tiny
 * random test GGUF, the test models in ../shared/models, and every GGUF in MODELS_DIR (a real
 * Gemma, when it was pulled). Each run starts its prompt with a new word, so no run reuses the
 * previous run's KV cache.
 */
export async function runModelSpeedBench(runs: number): Promise<{ models: ModelSpeed[]; image: ImageCost }> {
  const directory = await mkdtemp(path.join(tmpdir(), "folio-model-speed-"));
  try {
    const models = [
      await writeTinyGguf(path.join(directory, "tiny-random.gguf"), { seed: 5, contextLength: 4096 }),
      ...ggufFilesIn(path.resolve(process.env.FOLIO_SHARED_DIR ?? "../shared", "models")),
      ...ggufFilesIn(path.resolve(process.env.MODELS_DIR ?? "./models")).filter(
        (file) => !path.basename(file).startsWith("mmproj"),
      ),
    ];
    const threads = Number(process.env.MODEL_THREADS ?? availableParallelism());
    const results: ModelSpeed[] = [];
    for (const modelPath of models) {
      const generator = await LlamaCppGenerator.create({
        modelPath,
        modelSha256: "bench",
        contextTokens: 4096,
        threads,
      }).catch((error: unknown) => {
        console.warn(`[model-speed] skipped ${modelPath}: ${(error as Error).message}`);
        return null;
      });
      if (!generator) continue;
      try {
        results.push(await measure(generator, path.basename(modelPath), runs));
      } finally {
        await generator.dispose();
      }
    }
    printTable(
      `Model speed on this machine — MODEL_THREADS=${threads}, ${runs} run(s), medians`,
      ["model", "prompt tokens", "prefill ms / 1,000 tokens", "decode tokens/s"],
      results.map((result) => [
        result.model,
        result.promptTokens,
        result.prefillMsPer1kTokens,
        result.decodeTokensPerSecond,
      ]),
    );
    const image = await measureImageCost(directory, threads, runs);
    printTable(
      `Time to first token with one image — ${image.model}, ${image.imageTokens} tokens an image, medians`,
      ["without the image (ms)", "with the image (ms)"],
      [[image.firstTokenMsWithoutImage, image.firstTokenMsWithImage]],
    );
    return { models: results, image };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

function ggufFilesIn(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((name) => name.endsWith(".gguf"))
    .sort()
    .map((name) => path.join(directory, name));
}

async function measure(generator: Generator, model: string, runs: number): Promise<ModelSpeed> {
  const window = generator.capabilities.contextTokens;
  const prefillRates: number[] = [];
  const decodeRates: number[] = [];
  let promptTokens = 0;
  for (let run = 0; run < runs; run += 1) {
    const prompt = await promptOf(
      generator,
      `Run ${run} ${Date.now()}.`,
      Math.min(promptTargetTokens, window - 64),
    );
    promptTokens = await generator.countPromptTokens(prompt);
    const startedAt = performance.now();
    for await (const _piece of generator.generate({ ...prompt, maxTokens: 1 })) break;
    prefillRates.push(((performance.now() - startedAt) * 1000) / promptTokens);

    const short = {
      ...prompt,
      messages: [{ role: "user" as const, content: `Run ${run}: write a report.` }],
    };
    const pieces: string[] = [];
    let firstAt = 0;
    let lastAt = 0;
    for await (const piece of generator.generate({ ...short, maxTokens: decodeTokens })) {
      if (pieces.length === 0) firstAt = performance.now();
      lastAt = performance.now();
      pieces.push(piece);
    }
    const written = await generator.countTokens(pieces.join(""));
    if (written > 1 && lastAt > firstAt) decodeRates.push(((written - 1) * 1000) / (lastAt - firstAt));
  }
  return {
    model,
    promptTokens,
    prefillMsPer1kTokens: roundTo(computePercentile(prefillRates, 0.5), 1),
    decodeTokensPerSecond: decodeRates.length > 0 ? roundTo(computePercentile(decodeRates, 0.5), 1) : null,
  };
}

/** A request whose prompt is about `tokens` long, starting with `opening`. */
async function promptOf(
  generator: Generator,
  opening: string,
  tokens: number,
): Promise<Omit<GenerateRequest, "maxTokens">> {
  const request = (repeats: number) => ({
    system: `${opening} Answer from the report.`,
    messages: [{ role: "user" as const, content: `${filler.repeat(repeats)}\nWhat does the report cover?` }],
    sampling: { temperature: 0.2, topP: 0.95, topK: 64, seed: 42 },
  });
  const perRepeat = Math.max(1, await generator.countTokens(filler));
  let repeats = Math.max(1, Math.floor(tokens / perRepeat));
  while (repeats > 1 && (await generator.countPromptTokens(request(repeats))) > tokens) repeats -= 1;
  return request(repeats);
}

/**
 * The tiny vision pair the tests build (a random llama and an `mlp` projector of 16 image tokens),
 * through the llama.node adapter: the same question with and without a chart. Each run opens
 * with a new word, so nothing comes from the prompt cache.
 */
async function measureImageCost(directory: string, threads: number, runs: number): Promise<ImageCost> {
  const modelPath = await writeTinyGguf(path.join(directory, "tiny-vision-text.gguf"), {
    seed: 9,
    contextLength: 4096,
  });
  const projectorPath = await writeTinyMmproj(path.join(directory, "tiny-mmproj.gguf"));
  const chartPath = path.join(directory, "chart.png");
  const { png } = await renderText(640, 240, [
    { text: "Revenue by region: North 42, South 17", x: 20, y: 120, fontSize: 32 },
  ]);
  await writeFile(chartPath, png);
  const generator = await LlamaNodeGenerator.create({
    modelPath,
    projectorPath,
    modelSha256: "bench",
    contextTokens: 4096,
    threads,
    maxImagesPerPrompt: 1,
  });
  const firstPieceMs = async (request: GenerateRequest) => {
    const startedAt = performance.now();
    for await (const _piece of generator.generate(request)) break;
    return performance.now() - startedAt;
  };
  const without: number[] = [];
  const withImage: number[] = [];
  try {
    for (let run = 0; run < runs; run += 1) {
      const base = {
        system: `Run ${run} ${Date.now()}. Answer from the figure.`,
        maxTokens: 1,
        sampling: { temperature: 0.2, topP: 0.95, topK: 64, seed: 42 },
      };
      const question = "What does the chart show?";
      without.push(await firstPieceMs({ ...base, messages: [{ role: "user", content: question }] }));
      const image = { path: chartPath, sha256: `${run}`.padStart(64, "0") };
      withImage.push(
        await firstPieceMs({
          ...base,
          system: `${base.system} (image)`,
          messages: [
            {
              role: "user",
              content: [
                { type: "image", image },
                { type: "text", text: question },
              ],
            },
          ],
        }),
      );
    }
    return {
      model: "tiny llama + mlp projector (test pair)",
      imageTokens: generator.capabilities.imageTokens,
      firstTokenMsWithoutImage: roundTo(computePercentile(without, 0.5), 1),
      firstTokenMsWithImage: roundTo(computePercentile(withImage, 0.5), 1),
    };
  } finally {
    await generator.dispose();
  }
}
