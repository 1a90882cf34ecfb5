import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCollection } from "../../db/queries/collections";
import { prefillTokensPerSecond, promptBudgetTokens } from "../../lib/answer/prefill-speed";
import { startAnswer } from "../../lib/answer/start-answer";
import { LlamaCppGenerator } from "../../lib/llm/llama-cpp-generator";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { recordingGenerator } from "../support/recording-generator";
import { buildTestModels } from "../support/test-models";
import { bytesOf, createTestFolio, drainQueue } from "../support/test-runtime";

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-prefill-"));
});
afterAll(async () => rm(directory, { recursive: true, force: true }));

describe("the prompt budget", () => {
  it("is the window less the answer's reserve, and no more than the machine reads in the allowed time", () => {
    const base = { contextTokens: 131_072, maxAnswerTokens: 1024 };
    expect(promptBudgetTokens({ ...base, prefillTokensPerSecond: 100_000, prefillSeconds: 30 })).toBe(
      130_048,
    );
    expect(promptBudgetTokens({ ...base, prefillTokensPerSecond: 400, prefillSeconds: 30 })).toBe(12_000);
  });

  it("measures the real model's prompt speed once and stores it for the next start", async () => {
    const models = await buildTestModels(path.join(directory, "models"));
    const generator = recordingGenerator(
      await LlamaCppGenerator.create({
        modelPath: models.generatorPath,
        modelSha256: "f".repeat(64),
        contextTokens: 4096,
        threads: 1,
      }),
    );
    try {
      const cacheFile = path.join(directory, "prefill-speed.json");
      const measured = await prefillTokensPerSecond(generator, { cacheFile, threads: 1 });
      expect(measured).toBeGreaterThan(0);
      expect(generator.requests).toHaveLength(1);
      expect(generator.requests[0]?.maxTokens).toBe(1);
      const stored = JSON.parse(await readFile(cacheFile, "utf8"));
      expect(Object.values(stored)).toEqual([measured]);

      expect(await prefillTokensPerSecond(generator, { cacheFile, threads: 1 })).toBe(measured);
      expect(generator.requests).toHaveLength(1);
    } finally {
      await generator.dispose();
    }
  });

  it("bounds what an answer sends, and says so in its first event", async () => {
    const folio = await createTestFolio({
      environment: { ANSWER_PREFILL_TOKENS_PER_SECOND: "100", ANSWER_PREFILL_SECONDS: "10" },
    });
    try {
      const { collection } = await createCollection({ db: folio.database.db, name: "budget" });
      await folio.ingest.accept({
        collectionId: collection.id,
        fileName: "handbook.pdf",
        body: bytesOf(buildTextPdf({ pages: [["Hard helmets must be worn at all times in zone seven."]] })),
      });
      await drainQueue(folio);
      const events = await startAnswer(folio, {
        question: "Where must helmets be worn?",
        collectionIds: [collection.id],
        actor: "tester",
      });
      for await (const event of events) {
        if (event.type !== "retrieval-end") continue;
        expect(event.budgetTokens).toBe(1000);
        expect(event.promptTokens).toBeLessThanOrEqual(1000);
        expect(event).toMatchObject({ contextMode: "whole_documents", documentCount: 1 });
      }
    } finally {
      await folio.close();
    }
  });
});
