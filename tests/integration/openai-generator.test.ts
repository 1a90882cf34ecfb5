import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAppError } from "../../lib/errors";
import type { GenerateRequest } from "../../lib/llm/generator";
import { OpenAiGenerator, type OpenAiGeneratorOptions } from "../../lib/llm/openai-generator";
import { createTestFolio } from "../support/test-runtime";

/**
 * The OpenAI-compatible backend against a local HTTP server that speaks the protocol
 * (`/v1/models`, `/tokenize`, streaming `/v1/chat/completions`): a protocol peer, as llama-server
 * or vLLM would be, whose behaviour each test sets.
 */

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

let server: Server;
let baseUrl: string;
const received: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[] = [];
let routes: Record<string, Handler> = {};

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", () => {
      received.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body });
      const handler = routes[`${request.method} ${request.url}`];
      if (handler) handler(request, body, response);
      else response.writeHead(404).end("not found");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const modelsRoute: Handler = (_request, _body, response) =>
  json(response, { object: "list", data: [{ id: "gemma-4", object: "model", max_model_len: 8192 }] });

function json(response: ServerResponse, value: unknown, status = 200): void {
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
}

function streamEvents(response: ServerResponse, events: string[], options: { end?: boolean } = {}): void {
  response.writeHead(200, { "content-type": "text/event-stream" });
  for (const event of events) response.write(`data: ${event}\n\n`);
  if (options.end !== false) response.end();
}

const delta = (content: string, finish: string | null = null) =>
  JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: finish }] });

function options(overrides: Partial<OpenAiGeneratorOptions> = {}): OpenAiGeneratorOptions {
  return {
    baseUrl,
    model: "gemma-4",
    apiKey: "secret-key",
    contextTokens: 131_072,
    requestTimeoutMs: 2_000,
    idleTimeoutMs: 500,
    ...overrides,
  };
}

const request: GenerateRequest = {
  system: "Answer from the sources.",
  messages: [{ role: "user", content: "What was revenue in 2022?" }],
  maxTokens: 64,
  sampling: { temperature: 0.2, topP: 0.9, topK: 40, seed: 7 },
};

async function collect(generator: OpenAiGenerator, input: GenerateRequest = request): Promise<string> {
  let text = "";
  for await (const piece of generator.generate(input)) text += piece;
  return text;
}

async function failureOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

describe("OpenAiGenerator", () => {
  it("streams the answer, sending the system prompt, messages, sampling and key", async () => {
    routes = {
      "GET /v1/models": modelsRoute,
      "POST /v1/chat/completions": (_request, _body, response) =>
        streamEvents(response, [delta("Revenue was "), delta("$4.2 billion"), delta("", "stop"), "[DONE]"]),
    };
    received.length = 0;
    const generator = await OpenAiGenerator.create(options());
    expect(generator.capabilities.contextTokens).toBe(8192);
    expect(generator.id).toMatch(/^openai:gemma-4@127\.0\.0\.1:\d+$/);
    expect(await collect(generator)).toBe("Revenue was $4.2 billion");

    const chat = received.find((entry) => entry.url === "/v1/chat/completions");
    expect(chat?.headers.authorization).toBe("Bearer secret-key");
    expect(JSON.parse(chat?.body ?? "{}")).toEqual({
      model: "gemma-4",
      stream: true,
      messages: [
        { role: "system", content: "Answer from the sources." },
        { role: "user", content: "What was revenue in 2022?" },
      ],
      max_tokens: 64,
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      seed: 7,
    });
  });

  it("counts tokens with the server's tokenize endpoint, else estimates them with a margin", async () => {
    routes = {
      "GET /v1/models": modelsRoute,
      "POST /tokenize": (_request, body, response) => {
        const { content } = JSON.parse(body) as { content: string };
        json(response, { tokens: content.split(/\s+/).map((_, index) => index) });
      },
    };
    const counting = await OpenAiGenerator.create(options());
    expect(await counting.countTokens("three short words")).toBe(3);

    routes = { "GET /v1/models": modelsRoute };
    const estimating = await OpenAiGenerator.create(options());
    // 30 bytes at 3 bytes a token: more than the ~8 tokens a real tokenizer makes of it.
    expect(await estimating.countTokens("a".repeat(30))).toBe(10);
  });

  it("names a model the server does not have, and the ones it has", async () => {
    routes = { "GET /v1/models": modelsRoute };
    const failure = await failureOf(OpenAiGenerator.create(options({ model: "llama-9" })));
    expect(failure.code).toBe("unavailable:generator_missing");
    expect(failure.message).toContain("gemma-4");
  });

  it("reports a refused connection with the URL", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const failure = await failureOf(
      OpenAiGenerator.create(options({ baseUrl: `http://127.0.0.1:${port}/v1` })),
    );
    expect(failure.code).toBe("unavailable:generator_unreachable");
    expect(failure.message).toContain(`http://127.0.0.1:${port}/v1/models`);
    expect(failure.message).toContain("ECONNREFUSED");
  });

  it("reports a server error with its status", async () => {
    routes = {
      "GET /v1/models": modelsRoute,
      "POST /v1/chat/completions": (_request, _body, response) =>
        json(response, { error: { message: "CUDA out of memory" } }, 500),
    };
    const generator = await OpenAiGenerator.create(options());
    const failure = await failureOf(collect(generator));
    expect(failure.code).toBe("unavailable:generator_response");
    expect(failure.message).toContain("/v1/chat/completions answered 500");
    expect(failure.message).toContain("CUDA out of memory");
  });

  it("fails on an error event, a malformed event or a stream cut short", async () => {
    const cases: [string[], string][] = [
      [[delta("Revenue"), JSON.stringify({ error: { message: "context overflow" } })], "context overflow"],
      [[delta("Revenue"), "{not json"], "not JSON"],
      [[delta("Revenue")], "ended before the answer did"],
    ];
    for (const [events, expected] of cases) {
      routes = {
        "GET /v1/models": modelsRoute,
        "POST /v1/chat/completions": (_request, _body, response) => streamEvents(response, events),
      };
      const generator = await OpenAiGenerator.create(options());
      const failure = await failureOf(collect(generator));
      expect(failure.code).toBe("unavailable:generator_response");
      expect(failure.message).toContain(expected);
    }
  });

  it("refuses a stream event that never ends (over 1 MB) instead of growing memory", async () => {
    routes = {
      "GET /v1/models": modelsRoute,
      "POST /v1/chat/completions": (_request, _body, response) => {
        response.writeHead(200, { "content-type": "text/event-stream" });
        response.end(`data: ${"x".repeat(2 * 1024 * 1024)}`);
      },
    };
    const generator = await OpenAiGenerator.create(options());
    const failure = await failureOf(collect(generator));
    expect(failure.code).toBe("unavailable:generator_response");
    expect(failure.message).toContain("longer than 1 MB");
  });

  it("abandons a stream that stalls, within the idle timeout", async () => {
    routes = {
      "GET /v1/models": modelsRoute,
      "POST /v1/chat/completions": (_request, _body, response) =>
        streamEvents(response, [delta("Revenue")], { end: false }),
    };
    const generator = await OpenAiGenerator.create(options({ idleTimeoutMs: 300 }));
    const startedAt = Date.now();
    const failure = await failureOf(collect(generator));
    expect(failure.code).toBe("unavailable:generator_response");
    expect(failure.message).toContain("sent nothing for 0.3 s");
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });

  it("stops generating when the caller aborts, closing the connection", async () => {
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    routes = {
      "GET /v1/models": modelsRoute,
      "POST /v1/chat/completions": (_request, _body, response) => {
        response.on("close", closed);
        streamEvents(response, [delta("Revenue")], { end: false });
      },
    };
    const generator = await OpenAiGenerator.create(options({ idleTimeoutMs: 60_000 }));
    const controller = new AbortController();
    const pieces: string[] = [];
    const outcome = (async () => {
      for await (const piece of generator.generate({ ...request, signal: controller.signal })) {
        pieces.push(piece);
        controller.abort(new Error("stop button"));
      }
    })();
    await expect(outcome).rejects.toThrow("stop button");
    expect(pieces).toEqual(["Revenue"]);
    await connectionClosed;
  });

  it("is what Folio answers with when GENERATOR_BACKEND=openai, and its status names a server that is down", async () => {
    routes = { "GET /v1/models": modelsRoute };
    const folio = await createTestFolio({
      environment: { GENERATOR_BACKEND: "openai", OPENAI_BASE_URL: baseUrl, GENERATOR_MODEL: "gemma-4" },
    });
    try {
      const generator = await folio.generator();
      expect(generator).toBeInstanceOf(OpenAiGenerator);
      expect(generator.modelSha256).toBe("remote:gemma-4");
    } finally {
      await folio.close();
    }

    routes = {};
    const down = await createTestFolio({
      environment: { GENERATOR_BACKEND: "openai", OPENAI_BASE_URL: baseUrl, GENERATOR_MODEL: "gemma-4" },
    });
    try {
      const status = await down.modelStatus();
      expect(status.find((model) => model.kind === "generator")).toMatchObject({
        isReady: false,
        problem: {
          code: "unavailable:generator_response",
          message: expect.stringContaining("/v1/models answered 404"),
        },
      });
    } finally {
      await down.close();
    }
  });
});
