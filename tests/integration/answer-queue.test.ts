import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCollection } from "../../db/queries/collections";
import { startAnswer } from "../../lib/answer/start-answer";
import type { AnswerEvent } from "../../lib/domain/answer-events";
import { isAppError } from "../../lib/errors";
import { toHttpResponse } from "../../lib/http/error-response";
import type { Generator } from "../../lib/llm/generator";
import { LlamaCppGenerator } from "../../lib/llm/llama-cpp-generator";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { withGenerate } from "../support/recording-generator";
import { bytesOf, createTestFolio, drainQueue, type TestFolio } from "../support/test-runtime";

/**
 * The bounded queue in front of the model (MAX_QUEUED_ANSWERS=4), with the real tiny model held
 * at a gate so that answers overlap as they would under load.
 */

let folio: TestFolio;
let collectionId: string;
let openGate!: () => void;
let gate = Promise.resolve();

/** The real model, started only once the gate opens. */
function gated(inner: Generator): Generator {
  return withGenerate(inner, async function* (request, innerGenerate) {
    await gate;
    yield* innerGenerate(request);
  });
}

function closeGate(): void {
  gate = new Promise((resolve) => {
    openGate = resolve;
  });
}

beforeAll(async () => {
  folio = await createTestFolio({
    // A known prompt speed: measuring it would go through the closed gate.
    environment: { MAX_QUEUED_ANSWERS: "4", ANSWER_PREFILL_TOKENS_PER_SECOND: "100000" },
    overrides: async (models) => ({
      generator: gated(
        await LlamaCppGenerator.create({
          modelPath: models.generatorPath,
          modelSha256: "f".repeat(64),
          contextTokens: 4096,
          threads: 1,
        }),
      ),
    }),
  });
  collectionId = (await createCollection({ db: folio.database.db, name: "queue" })).collection.id;
  await folio.ingest.accept({
    collectionId,
    fileName: "handbook.pdf",
    body: bytesOf(buildTextPdf({ pages: [["Hard helmets must be worn at all times in zone seven."]] })),
  });
  await drainQueue(folio);
});
afterAll(async () => folio?.close());

const ask = (signal?: AbortSignal) =>
  startAnswer(folio, {
    question: "Where must helmets be worn?",
    collectionIds: [collectionId],
    actor: "tester",
    ...(signal ? { signal } : {}),
  });

async function collect(events: AsyncIterable<AnswerEvent>): Promise<AnswerEvent[]> {
  const all: AnswerEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe("the answer queue", () => {
  it("admits 4 of 20 concurrent askers, refuses the rest with 429 and Retry-After, and every admitted answer completes", async () => {
    closeGate();
    const attempts = await Promise.allSettled(Array.from({ length: 20 }, () => ask()));
    const admitted = attempts.flatMap((attempt) => (attempt.status === "fulfilled" ? [attempt.value] : []));
    const refused = attempts.flatMap((attempt) => (attempt.status === "rejected" ? [attempt.reason] : []));
    expect(admitted).toHaveLength(4);
    expect(refused).toHaveLength(16);
    for (const reason of refused) {
      expect(isAppError(reason) && reason.code).toBe("rate_limited:answer_queue");
    }
    const response = toHttpResponse(refused[0]);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(folio.answerQueue.inProgress).toBe(4);

    const answers = admitted.map((events) => collect(events));
    openGate();
    for (const events of await Promise.all(answers)) {
      const end = events.at(-1);
      expect(end?.type).toBe("answer-end");
      expect(end?.type === "answer-end" && end.auditSeq).toBeGreaterThan(0);
    }
    expect(folio.answerQueue.inProgress).toBe(0);
  });

  it("frees the slot when the asker stops the answer", async () => {
    closeGate();
    const controller = new AbortController();
    const events = (await ask(controller.signal))[Symbol.asyncIterator]();
    expect((await events.next()).value?.type).toBe("retrieval-end");
    expect(folio.answerQueue.inProgress).toBe(1);
    const rest = collect({ [Symbol.asyncIterator]: () => events });
    controller.abort(new Error("stop button"));
    openGate();
    expect((await rest).at(-1)).toMatchObject({ type: "error", code: "aborted:answer" });
    expect(folio.answerQueue.inProgress).toBe(0);
  });

  it("frees the slot when the question fails before answering", async () => {
    await expect(
      startAnswer(folio, { question: "x".repeat(100_000), collectionIds: [collectionId], actor: "tester" }),
    ).rejects.toMatchObject({ category: "invalid" });
    expect(folio.answerQueue.inProgress).toBe(0);
  });
});
