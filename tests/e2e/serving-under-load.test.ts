import type { ServerResponse } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../lib/text/sha256-hex";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { type FolioApi, readEvents } from "../support/api";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";
import {
  answerEvents,
  modelsRoute,
  type OpenAiPeer,
  sendJson,
  startOpenAiPeer,
  streamEvents,
} from "../support/openai-peer";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

/**
 * The bounded answer queue over HTTP, on the production build: the model is a protocol peer
 * (an OpenAI-compatible server) that holds each answer until the test lets it go, so that the
 * answers overlap as they do under load.
 */

const modelsDir = path.join(process.cwd(), "test-output", "models-serving");
let peer: OpenAiPeer;
let server: StartedFolioServer;
let api: FolioApi;
/** Answers the peer is holding, and the requests Folio closed before they were answered. */
const held: ServerResponse[] = [];
let closedByFolio = 0;
let isModelDown = true;

const question = { question: "Where must hard helmets be worn?" };

function releaseHeld(): void {
  for (const response of held.splice(0)) streamEvents(response, answerEvents("In zone seven [1]."));
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  peer = await startOpenAiPeer({
    "GET /v1/models": (request, body, response) =>
      isModelDown
        ? sendJson(response, { error: { message: "loading model" } }, 503)
        : modelsRoute("gemma-4", 8192)(request, body, response),
    "POST /v1/chat/completions": (request, _body, response) => {
      held.push(response);
      response.on("close", () => {
        if (!response.writableEnded) closedByFolio += 1;
      });
      void request;
    },
  });
  const models = await buildTestModels(modelsDir);
  server = await startFolioServer({
    ...testModelEnvironment(models, modelsDir),
    GENERATOR_BACKEND: "openai",
    OPENAI_BASE_URL: peer.baseUrl,
    GENERATOR_MODEL: "gemma-4",
    OPENAI_TIMEOUT_MS: "5000",
    OPENAI_IDLE_TIMEOUT_MS: "60000",
    MAX_QUEUED_ANSWERS: "4",
    ANSWER_PREFILL_TOKENS_PER_SECOND: "100000",
  });
  api = server.admin;
  const collectionId = await api.createCollection("site rules");
  const handbook = buildTextPdf({ pages: [["Hard helmets must be worn at all times in zone seven."]] });
  expect((await api.upload(collectionId, "handbook.pdf", handbook)).status).toBe(202);
  const jobs = await api.waitForJobs(collectionId);
  expect(jobs.map((job) => job.state)).toEqual(["succeeded"]);
});

afterAll(async () => {
  releaseHeld();
  await server?.stop();
  await peer?.close();
});

describe("serving answers under load", () => {
  it("answers 503 with Retry-After, naming the server, while the model is unavailable", async () => {
    const response = await api.ask(question);
    expect(response.status).toBe(503);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(JSON.stringify(await response.json())).toContain(peer.baseUrl);
    isModelDown = false;
  });

  it("admits 4 of 20 concurrent askers, refuses 16 with 429 and Retry-After, and completes and audits every admitted answer", async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, () => api.ask(question)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(4);
    expect(statuses.filter((status) => status === 429)).toHaveLength(16);
    for (const response of responses.filter((candidate) => candidate.status === 429)) {
      expect(response.headers.get("retry-after")).toBe("5");
      expect((await response.json()).error.code).toBe("rate_limited:answer_queue");
    }
    await until(() => held.length === 4, "the peer to hold 4 answers");
    releaseHeld();
    for (const response of responses.filter((candidate) => candidate.status === 200)) {
      const events = await readEvents(response);
      const end = events.at(-1);
      if (end?.type !== "answer-end") throw new Error(`expected answer-end: ${JSON.stringify(end)}`);
      expect(end.auditSeq).toBeGreaterThan(0);
      const stored = await api.answer(end.answerId);
      expect(stored.answer.status).toBe("complete");
      expect(stored.answer.answer).toBe("In zone seven [1].");
      expect(JSON.parse(stored.audit.payload).answerSha256).toBe(sha256Hex("In zone seven [1]."));
    }
  });

  it("frees the slot when the asker closes the connection (the Stop button): the model request is closed too", async () => {
    const stops = Array.from({ length: 4 }, () => new AbortController());
    const asked = stops.map((stop) => api.ask(question, { signal: stop.signal }));
    const started = await Promise.all(asked);
    expect(started.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    await until(() => held.length === 4, "the peer to hold 4 answers");
    expect((await api.ask(question)).status).toBe(429);

    const closedBefore = closedByFolio;
    for (const stop of stops) stop.abort();
    await until(() => closedByFolio === closedBefore + 4, "Folio to close the 4 model requests");
    held.splice(0);

    const next = await api.ask(question);
    expect(next.status).toBe(200);
    await until(() => held.length === 1, "the peer to hold the next answer");
    releaseHeld();
    expect((await readEvents(next)).at(-1)?.type).toBe("answer-end");
  });
});
