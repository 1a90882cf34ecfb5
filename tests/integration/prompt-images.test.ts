import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getAnswerWithCitations } from "../../db/queries/answers";
import { listAuditEvents } from "../../db/queries/audit-events";
import { createCollection } from "../../db/queries/collections";
import { basePromptTokens, packPrompt, sourceTokens } from "../../lib/answer/pack-prompt";
import { startAnswer } from "../../lib/answer/start-answer";
import type { AnswerEvent, SourceRef } from "../../lib/domain/answer-events";
import { OpenAiGenerator } from "../../lib/llm/openai-generator";
import { renderText } from "../fixtures/builders/images";
import {
  answerEvents,
  modelsRoute,
  type OpenAiPeer,
  startOpenAiPeer,
  streamEvents,
} from "../support/openai-peer";
import { bytesOf, createTestFolio, drainQueue, type TestFolio } from "../support/test-runtime";

/**
 * Figures reach the model as images beside their caption and OCR text when the generator has
 * vision — through the real pipeline (OCR of an uploaded chart, LanceDB, the access checks) and
 * the OpenAI-compatible backend, whose peer shows exactly what was sent — and as text otherwise.
 */

const imageTokens = 280;
let peer: OpenAiPeer;

beforeAll(async () => {
  peer = await startOpenAiPeer({
    "GET /v1/models": modelsRoute("gemma-4", 32_768),
    "POST /v1/chat/completions": (_request, _body, response) =>
      streamEvents(response, answerEvents("The chart shows revenue by region [1].")),
  });
});
afterAll(async () => peer.close());

function visionGenerator(maxImagesPerPrompt = 4): Promise<OpenAiGenerator> {
  return OpenAiGenerator.create({
    baseUrl: peer.baseUrl,
    model: "gemma-4",
    contextTokens: 32_768,
    requestTimeoutMs: 5_000,
    idleTimeoutMs: 5_000,
    vision: { maxImagesPerPrompt, imageTokens, imageEdgePixels: 448 },
  });
}

async function chart(title: string): Promise<Buffer> {
  const { png } = await renderText(640, 200, [
    { text: title, x: 20, y: 80, fontSize: 40 },
    { text: "North 42  South 17", x: 20, y: 160, fontSize: 36 },
  ]);
  return png;
}

async function folioWith(
  environment: Record<string, string>,
  generator?: () => Promise<OpenAiGenerator>,
): Promise<{ folio: TestFolio; collectionId: string }> {
  const folio = await createTestFolio({
    environment: { ANSWER_PREFILL_TOKENS_PER_SECOND: "100000", ...environment },
    ...(generator ? { overrides: async () => ({ generator: await generator() }) } : {}),
  });
  const { collection } = await createCollection({ db: folio.database.db, name: "charts" });
  return { folio, collectionId: collection.id };
}

async function ask(folio: TestFolio, collectionId: string, question: string): Promise<AnswerEvent[]> {
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

function retrievalOf(events: AnswerEvent[]): Extract<AnswerEvent, { type: "retrieval-end" }> {
  const retrieval = events.find((event) => event.type === "retrieval-end");
  if (retrieval?.type !== "retrieval-end") throw new Error(`no retrieval-end: ${JSON.stringify(events)}`);
  return retrieval;
}

describe("images in the prompt", () => {
  it("sends a cited chart as an image inside its source, counted in the prompt, hashed in the audit", async () => {
    const { folio, collectionId } = await folioWith({}, () => visionGenerator());
    try {
      await folio.ingest.accept({
        collectionId,
        fileName: "revenue-chart.png",
        body: bytesOf(await chart("Revenue by region")),
      });
      await drainQueue(folio);
      peer.received.length = 0;
      const events = await ask(folio, collectionId, "What does the revenue by region chart show?");
      const retrieval = retrievalOf(events);
      expect(retrieval.images).toEqual({ sent: 1, asText: 0, reason: null });
      const figure = retrieval.sources.find((source) => source.kind === "figure") as SourceRef;
      expect(figure.imageSha256).toMatch(/^[0-9a-f]{64}$/);

      const [version] = await folio.database.db.query.documentVersions.findMany();
      const figureBytes = await readFile(
        folio.derived.pathOf(version?.sha256 ?? "", { kind: "figure", name: "p1-image.png" }),
      );
      expect(figure.imageSha256).toBe(createHash("sha256").update(figureBytes).digest("hex"));

      const sent = JSON.parse(
        peer.received.find((entry) => entry.url === "/v1/chat/completions")?.body ?? "{}",
      );
      const parts = sent.messages[1].content as {
        type: string;
        text?: string;
        image_url?: { url: string };
      }[];
      expect(parts.map((part) => part.type)).toEqual(["text", "image_url", "text"]);
      expect(parts[0]?.text).toMatch(
        new RegExp(`<source id="${figure.n}" document="revenue-chart.png" page="1" type="figure">\\n$`),
      );
      expect(parts[2]?.text?.startsWith(`\n${figure.text}\n</source>`)).toBe(true);
      expect(parts[1]?.image_url?.url).toMatch(/^data:image\/png;base64,/);

      const end = events.at(-1);
      if (end?.type !== "answer-end") throw new Error(`expected answer-end: ${JSON.stringify(end)}`);
      const audit = (await listAuditEvents({ db: folio.database.db })).find(
        (event) => event.seq === end.auditSeq,
      );
      const payload = JSON.parse(audit?.payload ?? "{}") as {
        chunks: { imageSha256?: string }[];
        images: unknown;
      };
      expect(payload.chunks.map((chunk) => chunk.imageSha256)).toContain(figure.imageSha256);
      expect(payload.images).toEqual({ sent: 1, asText: 0, reason: null });
      // The answer cited the chart ([1]): its citation keeps that the model saw it as an image.
      expect(figure.n).toBe(1);
      const stored = await getAnswerWithCitations({ db: folio.database.db, id: end.answerId });
      expect(stored?.citations.find((citation) => citation.marker === 1)?.imageSha256).toBe(
        figure.imageSha256,
      );
    } finally {
      await folio.close();
    }
  });

  it("gives figures as text beyond the image cap, and says so", async () => {
    const { folio, collectionId } = await folioWith({ ANSWER_MAX_IMAGES: "1" }, () => visionGenerator(1));
    try {
      // Different pictures: identical bytes would be one blob, one document.
      for (const name of ["north", "south"]) {
        const body = bytesOf(await chart(`Revenue by region ${name}`));
        await folio.ingest.accept({ collectionId, fileName: `${name}.png`, body });
      }
      await drainQueue(folio);
      const retrieval = retrievalOf(await ask(folio, collectionId, "Revenue by region chart?"));
      expect(retrieval.images).toEqual({ sent: 1, asText: 1, reason: "image_cap" });
      expect(retrieval.sources.filter((source) => source.imageSha256 !== null)).toHaveLength(1);
    } finally {
      await folio.close();
    }
  });

  it("gives figures as their OCR text when the model has no vision, and says so", async () => {
    const { folio, collectionId } = await folioWith({});
    try {
      await folio.ingest.accept({
        collectionId,
        fileName: "chart.png",
        body: bytesOf(await chart("Revenue by region")),
      });
      await drainQueue(folio);
      const retrieval = retrievalOf(await ask(folio, collectionId, "Revenue by region chart?"));
      expect(retrieval.images).toEqual({ sent: 0, asText: 1, reason: "no_vision_model" });
      const figure = retrieval.sources.find((source) => source.kind === "figure");
      expect(figure?.imageSha256).toBeNull();
      expect(figure?.text).toMatch(/Revenue/);
    } finally {
      await folio.close();
    }
  });

  it("counts an image's tokens against the budget: one token short, the figure goes as text", async () => {
    const generator = await visionGenerator();
    const figure = {
      chunkId: "c".repeat(32),
      documentId: "d",
      versionId: "v",
      documentTitle: "chart.png",
      pageNumber: 1,
      pageLabel: null,
      box: null,
      kind: "figure" as const,
      text: "Revenue by region. North 42, South 17.",
      contentHash: "h",
      figureFile: "p1-image.png",
    };
    const image = { path: "/unused.png", sha256: "e".repeat(64) };
    const pack = (budgetTokens: number) =>
      packPrompt({
        question: "What does the chart show?",
        candidates: [figure],
        generator,
        budgetTokens,
        imageOf: async () => image,
      });
    // What packing reserves: the prompt without sources, the source's text, then its image.
    const fitsExactly =
      (await basePromptTokens(generator, "What does the chart show?")) +
      (await sourceTokens(generator, { ...figure, n: 1 })) +
      imageTokens;
    const withImage = await pack(fitsExactly);
    expect(withImage.images).toEqual({ sent: 1, asText: 0, reason: null });
    const short = await pack(fitsExactly - 1);
    expect(short.images).toEqual({ sent: 0, asText: 1, reason: "no_room" });
    expect(short.sources).toHaveLength(1);
    // The image's tokens, give or take the estimate's rounding of the text split around it.
    expect(withImage.promptTokens - short.promptTokens).toBeGreaterThanOrEqual(imageTokens);
    expect(withImage.promptTokens - short.promptTokens).toBeLessThanOrEqual(imageTokens + 2);
  });
});
