import { createServer } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createCollection } from "../../db/queries/collections";
import { startAnswer } from "../../lib/answer/start-answer";
import type { AnswerEvent } from "../../lib/domain/answer-events";
import { LlamaCppGenerator } from "../../lib/llm/llama-cpp-generator";
import { countHttpResponses } from "../../lib/observability/http-responses";
import { countJobsByState } from "../../lib/observability/job-counts";
import {
  getMetrics,
  meteredGeneration,
  recordIngestPages,
  recordJobFailure,
  renderMetrics,
} from "../../lib/observability/metrics";
import { hasMetricsToken } from "../../lib/observability/metrics-access";
import { checkReadiness } from "../../lib/observability/readiness";
import type { Folio } from "../../lib/runtime";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { bytesOf, createTestFolio, drainQueue, type TestFolio } from "../support/test-runtime";

/** The value of one sample in the Prometheus text (`name{labels} value`), 0 when absent. */
async function sample(name: string, labels = ""): Promise<number> {
  const { body } = await renderMetrics();
  const line = body.split("\n").find((candidate) => candidate.startsWith(`${name}${labels} `));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

const handbook = buildTextPdf({
  title: "Site safety handbook",
  pages: [
    ["Protective equipment: hard helmets must be worn at all times in zone seven, where cranes operate."],
    ["Fire exits are marked in green. Assembly point B is beside the car park."],
  ],
});

async function collect(events: AsyncIterable<AnswerEvent>): Promise<AnswerEvent[]> {
  const all: AnswerEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe("the metrics registry", () => {
  it("is one per process, even when Next.js loads the module in two bundles", async () => {
    recordIngestPages(1);
    vi.resetModules();
    const copy = await import("../../lib/observability/metrics");
    expect(copy.getMetrics).not.toBe(getMetrics);
    expect(copy.getMetrics().registry).toBe(getMetrics().registry);
  });

  it("counts ingested pages and job failures by code", async () => {
    const pages = await sample("folio_ingest_pages_total");
    recordIngestPages(3);
    recordIngestPages(0);
    expect(await sample("folio_ingest_pages_total")).toBe(pages + 3);
    recordJobFailure("invalid:pdf_malformed");
    recordJobFailure("invalid:pdf_malformed");
    recordJobFailure("unavailable:embedder_missing");
    expect(await sample("folio_ingest_job_failures_total", '{code="invalid:pdf_malformed"}')).toBe(2);
    expect(await sample("folio_ingest_job_failures_total", '{code="unavailable:embedder_missing"}')).toBe(1);
  });

  it("includes the default process metrics", async () => {
    const { body, contentType } = await renderMetrics();
    expect(contentType).toContain("text/plain");
    expect(body).toContain("process_cpu_user_seconds_total");
    expect(body).toContain("nodejs_heap_size_used_bytes");
  });

  it("measures time to first token and streaming speed of a generation, passing pieces through", async () => {
    const firstTokens = await sample("folio_answer_time_to_first_token_seconds_count");
    const tokens = await sample("folio_answer_tokens_total");
    const speeds = await sample("folio_answer_tokens_per_second_count");
    async function* pieces() {
      await new Promise((resolve) => setTimeout(resolve, 30));
      for (const piece of ["The ", "answer ", "is ", "here."]) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        yield piece;
      }
    }
    const startedAt = performance.now();
    const seen: string[] = [];
    for await (const piece of meteredGeneration(pieces(), startedAt)) seen.push(piece);
    expect(seen.join("")).toBe("The answer is here.");
    expect(await sample("folio_answer_time_to_first_token_seconds_count")).toBe(firstTokens + 1);
    expect(await sample("folio_answer_time_to_first_token_seconds_sum")).toBeGreaterThanOrEqual(0.03);
    expect(await sample("folio_answer_tokens_total")).toBe(tokens + 4);
    expect(await sample("folio_answer_tokens_per_second_count")).toBe(speeds + 1);
  });

  it("still answers a scrape when the job counts cannot be read", async () => {
    const { body } = await renderMetrics({
      jobCounts: () => Promise.reject(new Error("connection refused")),
    });
    expect(body).toContain("folio_ingest_pages_total");
    expect(body).not.toMatch(/^folio_ingest_jobs\{/m);
  });
});

describe("countHttpResponses", () => {
  it("counts every finished response of this process's HTTP server by status and area", async () => {
    countHttpResponses();
    countHttpResponses(); // idempotent: one subscription
    const server = createServer((request, response) => {
      response.statusCode = request.url?.startsWith("/api/missing") ? 404 : 200;
      response.end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    const before404 = await sample("folio_http_responses_total", '{status="404",area="api"}');
    const before200 = await sample("folio_http_responses_total", '{status="200",area="page"}');
    try {
      for (const route of ["/api/missing/1", "/api/missing/2", "/documents"]) {
        await (await fetch(`${base}${route}`)).text();
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await sample("folio_http_responses_total", '{status="404",area="api"}')).toBe(before404 + 2);
    expect(await sample("folio_http_responses_total", '{status="200",area="page"}')).toBe(before200 + 1);
  });
});

describe("hasMetricsToken", () => {
  const token = "m".repeat(40);
  const withAuthorization = (value?: string) =>
    new Request("http://10.0.0.7:3000/api/metrics", value ? { headers: { authorization: value } } : {});

  it.each([
    ["the token", `Bearer ${token}`, token, true],
    ["the token, lower-case scheme", `bearer ${token}`, token, true],
    ["another token", `Bearer ${"x".repeat(40)}`, token, false],
    ["a prefix of the token", `Bearer ${token.slice(0, 20)}`, token, false],
    ["no header", undefined, token, false],
    ["any token while METRICS_TOKEN is unset", `Bearer ${token}`, undefined, false],
  ])("accepts %s: %s", (_name, header, configured, expected) => {
    expect(hasMetricsToken(withAuthorization(header), configured)).toBe(expected);
  });
});

describe("with a whole Folio", () => {
  let folio: TestFolio;
  let collectionId: string;

  beforeAll(async () => {
    folio = await createTestFolio({
      environment: { MAX_QUEUED_ANSWERS: "1" },
      overrides: async (models) => ({
        generator: await LlamaCppGenerator.create({
          modelPath: models.generatorPath,
          modelSha256: "f".repeat(64),
          contextTokens: 4096,
          threads: 1,
        }),
      }),
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

  it("reports ingest jobs by state from the database, every state present", async () => {
    expect(await countJobsByState(folio.database.db)).toEqual({
      queued: 0,
      running: 0,
      succeeded: 1,
      failed: 0,
    });
    const { body } = await renderMetrics({ jobCounts: () => countJobsByState(folio.database.db) });
    expect(body).toMatch(/^folio_ingest_jobs\{state="succeeded"\} 1$/m);
    expect(body).toMatch(/^folio_ingest_jobs\{state="queued"\} 0$/m);
  });

  const ask = (question: string, ids = [collectionId]) =>
    startAnswer(folio, { question, collectionIds: ids, actor: "tester" });

  it("counts an answer streamed to its end, with its time to first token and tokens", async () => {
    const answered = await sample("folio_answers_total", '{outcome="answered"}');
    const firstTokens = await sample("folio_answer_time_to_first_token_seconds_count");
    const tokens = await sample("folio_answer_tokens_total");
    const events = await collect(await ask("Where must hard helmets be worn? zone seven cranes"));
    expect(events.at(-1)?.type).toBe("answer-end");
    const streamed = events.filter((event) => event.type === "text-delta").length;
    expect(await sample("folio_answers_total", '{outcome="answered"}')).toBe(answered + 1);
    expect(await sample("folio_answer_time_to_first_token_seconds_count")).toBe(firstTokens + 1);
    expect(await sample("folio_answer_tokens_total")).toBe(tokens + streamed);
  });

  it("counts the no-evidence answer as refused, without a time to first token", async () => {
    const empty = (await createCollection({ db: folio.database.db, name: "empty" })).collection.id;
    const refused = await sample("folio_answers_total", '{outcome="refused"}');
    const firstTokens = await sample("folio_answer_time_to_first_token_seconds_count");
    await collect(await ask("Where must helmets be worn?", [empty]));
    expect(await sample("folio_answers_total", '{outcome="refused"}')).toBe(refused + 1);
    expect(await sample("folio_answer_time_to_first_token_seconds_count")).toBe(firstTokens);
  });

  it("counts a question refused by a full queue as rejected, and one the client stopped as cancelled", async () => {
    const rejected = await sample("folio_answers_total", '{outcome="rejected"}');
    const cancelled = await sample("folio_answers_total", '{outcome="cancelled"}');
    const holding = (await ask("Where must hard helmets be worn? zone seven"))[Symbol.asyncIterator]();
    await holding.next(); // retrieval-end: the one slot is taken
    await expect(ask("And the fire exits?")).rejects.toMatchObject({ code: "rate_limited:answer_queue" });
    expect(await sample("folio_answers_total", '{outcome="rejected"}')).toBe(rejected + 1);
    await holding.return?.(undefined);
    expect(await sample("folio_answers_total", '{outcome="cancelled"}')).toBe(cancelled + 1);
  });

  it("is ready when the database, the chunk table and both models are", async () => {
    expect(await checkReadiness(folio, { timeoutMs: 5000 })).toEqual({
      isReady: true,
      checks: { database: "ok", index: "ok", embedder: "ok", generator: "ok" },
    });
  });

  it("names what is not ready: a model that fails to load, a store still opening, a silent database", async () => {
    const never = () => new Promise<never>(() => {});
    const broken: Folio = {
      ...folio,
      database: {
        ...folio.database,
        db: { ...folio.database.db, execute: never } as unknown as Folio["database"]["db"],
      },
      store: never,
      generator: () => Promise.reject(new Error("the model file is corrupt")),
    };
    const startedAt = performance.now();
    const readiness = await checkReadiness(broken, { timeoutMs: 200 });
    expect(performance.now() - startedAt).toBeLessThan(2000);
    expect(readiness).toEqual({
      isReady: false,
      checks: {
        database: "unavailable:database",
        index: "loading",
        embedder: "ok",
        generator: "internal:unexpected",
      },
    });
  });
});

describe("readiness without the answering model", () => {
  let folio: TestFolio;

  beforeAll(async () => {
    folio = await createTestFolio({ environment: { GENERATOR_MODEL: path.join("absent", "model.gguf") } });
  });

  afterAll(async () => {
    await folio?.close();
  });

  it("reports the generator missing by its code, never its path", async () => {
    const readiness = await checkReadiness(folio, { timeoutMs: 5000 });
    expect(readiness.isReady).toBe(false);
    expect(readiness.checks.generator).toBe("unavailable:generator_missing");
    expect(readiness.checks.database).toBe("ok");
    expect(JSON.stringify(readiness)).not.toContain("absent");
  });

  it("is ready without it when READY_REQUIRES_MODELS=false, still naming it", async () => {
    expect(folio.config.observability.readyRequiresModels).toBe(true);
    const readiness = await checkReadiness(folio, { timeoutMs: 5000, requiresModels: false });
    expect(readiness.isReady).toBe(true);
    expect(readiness.checks.generator).toBe("unavailable:generator_missing");
  });
});
