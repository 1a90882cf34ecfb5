import { existsSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { getLlama } from "node-llama-cpp";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAppError } from "../../lib/errors";
import { type GenerateRequest, textOf } from "../../lib/llm/generator";
import { estimateTokens, OpenAiGenerator, type OpenAiGeneratorOptions } from "../../lib/llm/openai-generator";
import {
  answerEvents,
  delta,
  modelsRoute as modelsRouteFor,
  type OpenAiPeer,
  type PeerHandler,
  type ReceivedRequest,
  sendJson,
  startOpenAiPeer,
  streamEvents,
} from "../support/openai-peer";
import { createTestFolio } from "../support/test-runtime";

const modelsRoute = modelsRouteFor();
/** The full 32,000-token Llama 2 tokenizer (random weights), from ../shared/models. */
const llamaTokenizerModel = path.resolve(
  process.env.FOLIO_SHARED_DIR ?? "../shared",
  "models",
  "llama-2-tiny-random.gguf",
);

/**
 * The OpenAI-compatible backend against a local HTTP server that speaks the protocol
 * (`/v1/models`, `/tokenize`, streaming `/v1/chat/completions`): a protocol peer, as llama-server
 * or vLLM would be, whose behaviour each test sets.
 */

let peer: OpenAiPeer;
let baseUrl: string;
let received: ReceivedRequest[];

beforeAll(async () => {
  peer = await startOpenAiPeer();
  baseUrl = peer.baseUrl;
  received = peer.received;
});
afterAll(async () => peer.close());

/** Sets the peer's behaviour for the next requests. */
function serve(next: Record<string, PeerHandler>): void {
  peer.routes = next;
}

const json = sendJson;

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
    serve({
      "GET /v1/models": modelsRoute,
      "POST /v1/chat/completions": (_request, _body, response) =>
        streamEvents(response, [delta("Revenue was "), delta("$4.2 billion"), delta("", "stop"), "[DONE]"]),
    });
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

  it("sends images as data-URL parts beside their text, resized, and counts their tokens", async () => {
    serve({
      "GET /v1/models": modelsRoute,
      "POST /v1/chat/completions": (_request, _body, response) =>
        streamEvents(response, answerEvents("Seen [1].")),
    });
    const imagePath = path.join(tmpdir(), `folio-openai-image-${process.pid}.png`);
    await sharp({ create: { width: 1200, height: 600, channels: 3, background: "#3366cc" } })
      .png()
      .toFile(imagePath);
    const vision = { maxImagesPerPrompt: 2, imageTokens: 280, imageEdgePixels: 448 };
    const generator = await OpenAiGenerator.create(options({ vision }));
    expect(generator.capabilities).toMatchObject({ vision: true, maxImagesPerPrompt: 2, imageTokens: 280 });
    const withImage: GenerateRequest = {
      ...request,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: '<source id="1" type="figure">\n' },
            { type: "image", image: { path: imagePath, sha256: "a".repeat(64) } },
            { type: "text", text: "\nRevenue by region\n</source>\n\nQuestion: what does it show?" },
          ],
        },
      ],
    };
    const [imageMessage] = withImage.messages;
    if (!imageMessage) throw new Error("no message");
    const textOnly = { ...withImage, messages: [{ role: "user" as const, content: textOf(imageMessage) }] };
    expect(await generator.countPromptTokens(withImage)).toBe(
      (await generator.countPromptTokens(textOnly)) + 280,
    );

    received.length = 0;
    expect(await collect(generator, withImage)).toBe("Seen [1].");
    const sent = JSON.parse(received.find((entry) => entry.url === "/v1/chat/completions")?.body ?? "{}");
    const parts = sent.messages[1].content as { type: string; text?: string; image_url?: { url: string } }[];
    expect(parts.map((part) => part.type)).toEqual(["text", "image_url", "text"]);
    expect(parts[0]?.text).toContain('type="figure"');
    const url = parts[1]?.image_url?.url ?? "";
    expect(url).toMatch(/^data:image\/png;base64,/);
    const decoded = await sharp(Buffer.from(url.split(",")[1] ?? "", "base64")).metadata();
    expect([decoded.width, decoded.height]).toEqual([448, 224]);

    const textGenerator = await OpenAiGenerator.create(options());
    expect(textGenerator.capabilities.vision).toBe(false);
    expect((await failureOf(collect(textGenerator, withImage))).code).toBe("invalid:images_unsupported");
  });

  it("counts tokens with the server's tokenize endpoint, else estimates them with a margin", async () => {
    serve({
      "GET /v1/models": modelsRoute,
      "POST /tokenize": (_request, body, response) => {
        const { content } = JSON.parse(body) as { content: string };
        json(response, { tokens: content.split(/\s+/).map((_, index) => index) });
      },
    });
    const counting = await OpenAiGenerator.create(options());
    expect(await counting.countTokens("three short words")).toBe(3);

    serve({ "GET /v1/models": modelsRoute });
    const estimating = await OpenAiGenerator.create(options());
    // 30 bytes at 3 bytes a token: more than the ~8 tokens a real tokenizer makes of it.
    expect(await estimating.countTokens("a".repeat(30))).toBe(10);
  });

  it.skipIf(!existsSync(llamaTokenizerModel))(
    "estimates no fewer tokens than a real tokenizer makes of figures, tables and other scripts",
    async () => {
      const llama = await getLlama({ gpu: false, build: "never", skipDownload: true });
      const model = await llama.loadModel({ modelPath: llamaTokenizerModel, vocabOnly: true });
      try {
        const table = Array.from(
          { length: 40 },
          (_, row) => `| ${2019 + (row % 5)} | ${(row * 1234.56).toFixed(2)} | ${row * 97}% |`,
        ).join("\n");
        const samples = [
          table,
          "Revenue grew by twelve percent in the third quarter, driven by exports to Asia.",
          "売上高は前年同期比で12%増加しました。主な要因は輸出の伸びです。",
          "Umsatzerlöse stiegen um 4,2 % auf 3,1 Mio. € — über dem Vorjahr.",
        ];
        for (const sample of samples) {
          expect(estimateTokens(sample)).toBeGreaterThanOrEqual(model.tokenize(sample).length);
        }
      } finally {
        await model.dispose();
      }
    },
  );

  it("names a model the server does not have, and the ones it has", async () => {
    serve({ "GET /v1/models": modelsRoute });
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
    serve({
      "GET /v1/models": modelsRoute,
      "POST /v1/chat/completions": (_request, _body, response) =>
        json(response, { error: { message: "CUDA out of memory" } }, 500),
    });
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
      serve({
        "GET /v1/models": modelsRoute,
        "POST /v1/chat/completions": (_request, _body, response) => streamEvents(response, events),
      });
      const generator = await OpenAiGenerator.create(options());
      const failure = await failureOf(collect(generator));
      expect(failure.code).toBe("unavailable:generator_response");
      expect(failure.message).toContain(expected);
    }
  });

  it("refuses a stream event that never ends (over 1 MB) instead of growing memory", async () => {
    serve({
      "GET /v1/models": modelsRoute,
      "POST /v1/chat/completions": (_request, _body, response) => {
        response.writeHead(200, { "content-type": "text/event-stream" });
        response.end(`data: ${"x".repeat(2 * 1024 * 1024)}`);
      },
    });
    const generator = await OpenAiGenerator.create(options());
    const failure = await failureOf(collect(generator));
    expect(failure.code).toBe("unavailable:generator_response");
    expect(failure.message).toContain("longer than 1 MB");
  });

  it("abandons a stream that stalls, within the idle timeout", async () => {
    serve({
      "GET /v1/models": modelsRoute,
      "POST /v1/chat/completions": (_request, _body, response) =>
        streamEvents(response, [delta("Revenue")], { end: false }),
    });
    const generator = await OpenAiGenerator.create(options({ idleTimeoutMs: 300 }));
    const startedAt = Date.now();
    const failure = await failureOf(collect(generator));
    expect(failure.code).toBe("unavailable:generator_response");
    expect(failure.message).toContain("sent nothing for 0.3 s");
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });

  it("cuts off a server that streams past max_tokens", async () => {
    let isClosed = false;
    serve({
      "GET /v1/models": modelsRoute,
      "POST /v1/chat/completions": (_request, _body, response) => {
        streamEvents(response, [], { end: false });
        const timer = setInterval(() => response.write(`data: ${delta("more ")}\n\n`), 5);
        response.on("close", () => {
          clearInterval(timer);
          isClosed = true;
        });
      },
    });
    const generator = await OpenAiGenerator.create(options());
    expect(await collect(generator, { ...request, maxTokens: 5 })).toBe("more ".repeat(5));
    await expect.poll(() => isClosed).toBe(true);
  });

  it("stops generating when the caller aborts, closing the connection", async () => {
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    serve({
      "GET /v1/models": modelsRoute,
      "POST /v1/chat/completions": (_request, _body, response) => {
        response.on("close", closed);
        streamEvents(response, [delta("Revenue")], { end: false });
      },
    });
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
    serve({ "GET /v1/models": modelsRoute });
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

    serve({});
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
