import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getAnswerWithCitations } from "../../db/queries/answers";
import { listAuditEvents } from "../../db/queries/audit-events";
import { createCollection } from "../../db/queries/collections";
import { startAnswer } from "../../lib/answer/start-answer";
import { noEvidenceAnswer } from "../../lib/answer/stream-answer";
import { verifyChain } from "../../lib/audit/hash-chain";
import type { AnswerEvent } from "../../lib/domain/answer-events";
import type { ClaimVerdict } from "../../lib/domain/claim-verdicts";
import { LlamaCppGenerator } from "../../lib/llm/llama-cpp-generator";
import { sha256Hex } from "../../lib/text/sha256-hex";
import { writeTinyGguf } from "../fixtures/builders/tiny-gguf";
import { claimAnswer, claimScript, claimHandbook as handbook } from "../support/claim-script";
import { recordingGenerator } from "../support/recording-generator";
import { bytesOf, createTestFolio, drainQueue, type TestFolio } from "../support/test-runtime";

let folio: TestFolio;
let generator: ReturnType<typeof recordingGenerator>;
let collectionId: string;

beforeAll(async () => {
  folio = await createTestFolio({
    environment: { CLAIM_CHECK_GENERATOR: "true" },
    overrides: async (models) => {
      const modelPath = await writeTinyGguf(path.join(path.dirname(models.generatorPath), "claims.gguf"), {
        script: claimScript,
        contextLength: 4096,
      });
      generator = recordingGenerator(
        await LlamaCppGenerator.create({
          modelPath,
          modelSha256: "c".repeat(64),
          contextTokens: 4096,
          threads: 1,
        }),
      );
      return { generator };
    },
  });
  collectionId = (await createCollection({ db: folio.database.db, name: "safety" })).collection.id;
  await folio.ingest.accept({
    collectionId,
    fileName: "handbook.pdf",
    body: bytesOf(handbook),
    declaredBytes: handbook.byteLength,
  });
  await drainQueue(folio);
});

afterAll(async () => {
  await folio?.close();
});

async function ask(question: string): Promise<AnswerEvent[]> {
  const events: AnswerEvent[] = [];
  for await (const event of await startAnswer(folio, {
    question,
    collectionIds: [collectionId],
    actor: "tester",
  })) {
    events.push(event);
  }
  return events;
}

async function storedAnswer(answerId: string) {
  const { db } = folio.database;
  const stored = await getAnswerWithCitations({ db, id: answerId });
  const audit = (await listAuditEvents({ db })).find((event) => event.subject === `answer:${answerId}`);
  return {
    checks: stored?.answer.checks as { claims: ClaimVerdict[] | null; refusal: unknown },
    metrics: stored?.answer.metrics as { claimCheckMs: number | null },
    payload: JSON.parse(audit?.payload ?? "{}"),
  };
}

describe("claim verdicts through the real pipeline", () => {
  it("streams a verdict for every cited sentence before answer-end, and stores them with the answer and in its audit record", async () => {
    generator.requests.length = 0;
    const events = await ask("Where must hard helmets be worn?");
    const types = events.map((event) => event.type);
    const claimsAt = types.indexOf("claims");
    expect(claimsAt).toBeGreaterThan(types.lastIndexOf("text-delta"));
    expect(types.at(-1)).toBe("answer-end");
    expect(claimsAt).toBe(types.length - 2);

    const claimsEvent = events[claimsAt];
    if (claimsEvent?.type !== "claims") throw new Error("no claims event");
    const { claims } = claimsEvent;
    expect(claims.map((claim) => claimAnswer.slice(claim.start, claim.end))).toEqual([
      "Hard helmets must be worn in zone seven [2].",
      "Visitors pay 40 euros at the gate [1].",
      "Afterwards visitors keep their helmet [2].",
    ]);
    expect(claims.map((claim) => claim.support)).toEqual(["supported", "unsupported", "weak"]);
    expect(claims[1]?.reasons[0]).toBe('number "40" not in [1]');
    // The third sentence went to the answering model, whose (scripted) reply is no verdict word.
    expect(claims[2]?.judgement).toEqual({ by: "generator", label: "unknown" });
    expect(claims[2]?.reasons).toContain("generator: no usable answer");
    expect(claimsEvent.checkMs).toBeGreaterThanOrEqual(0);

    // One verification prompt (besides the answer, and the prefill-speed probe of a first answer):
    // greedy, four tokens at most, about the undecided sentence only.
    const verifications = generator.requests.filter((request) => request.maxTokens === 4);
    expect(verifications).toHaveLength(1);
    expect(verifications[0]?.sampling).toMatchObject({ temperature: 0, topK: 1 });
    expect(String(verifications[0]?.messages[0]?.content)).toContain(
      "Sentence: Afterwards visitors keep their helmet",
    );

    const end = events.at(-1);
    if (end?.type !== "answer-end") throw new Error("no answer-end");
    expect(end.refusal).toBeNull();
    const stored = await storedAnswer(end.answerId);
    expect(stored.checks.claims).toEqual(claims);
    expect(stored.metrics.claimCheckMs).toBe(claimsEvent.checkMs);
    expect(stored.payload.claims).toEqual(claims);
    expect(stored.payload.refusal).toBeNull();
    expect(verifyChain(await listAuditEvents({ db: folio.database.db })).isIntact).toBe(true);
  });

  it("refuses a question the passages have nothing to do with, without calling the model, and records why", async () => {
    generator.requests.length = 0;
    const events = await ask("What is the capital of France?");
    expect(generator.requests).toHaveLength(0);
    const text = events.flatMap((event) => (event.type === "text-delta" ? [event.text] : [])).join("");
    expect(text).toBe(noEvidenceAnswer);
    expect(events.some((event) => event.type === "claims")).toBe(false);
    const end = events.at(-1);
    if (end?.type !== "answer-end") throw new Error(`expected answer-end, got ${JSON.stringify(end)}`);
    expect(end.refusal).toMatchObject({ reason: "low_evidence", threshold: 0.1 });
    expect(end.refusal?.score).toBeLessThan(0.1);

    const stored = await storedAnswer(end.answerId);
    expect(stored.checks.refusal).toEqual(end.refusal);
    expect(stored.checks.claims).toBeNull();
    expect(stored.payload).toMatchObject({
      refusal: end.refusal,
      answerSha256: sha256Hex(noEvidenceAnswer),
      status: "complete",
    });
  });

  it.each([
    ["shares only one word with the passages", "Who hands out the helmets?"],
    ["has no topical words at all", "Summarise the key points, please."],
  ])("answers a question that %s", async (_name, question) => {
    generator.requests.length = 0;
    const events = await ask(question);
    expect(generator.requests.length).toBeGreaterThan(0);
    const end = events.at(-1);
    expect(end).toMatchObject({ type: "answer-end", refusal: null });
  });
});
