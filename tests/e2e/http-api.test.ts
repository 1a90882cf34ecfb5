import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnswerEvent } from "../../lib/domain/answer-events";
import { sha256Hex } from "../../lib/text/sha256-hex";
import { buildEncryptedPdf, buildTextPdf } from "../fixtures/builders/pdf";
import { type FolioApi, readEvents } from "../support/api";
import { corpusPdfsDir, hasCorpus, warnSkipped } from "../support/corpus";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";
import { buildTestModels, expectedAnswerText, testModelEnvironment } from "../support/test-models";

const modelsDir = path.join(process.cwd(), "test-output", "models-http-api");
let server: StartedFolioServer;
let api: FolioApi;
let collectionId: string;

const handbook = buildTextPdf({
  pages: [
    ["Welcome to the handbook. It explains the rules for visitors."],
    ["Protective equipment: hard helmets must be worn in zone seven, where cranes operate overhead."],
  ],
});

beforeAll(async () => {
  const models = await buildTestModels(modelsDir);
  server = await startFolioServer({
    ...testModelEnvironment(models, modelsDir),
    MAX_UPLOAD_BYTES: String(2 * 1024 * 1024),
  });
  api = server.admin;
  collectionId = await api.createCollection("handbooks");
});

afterAll(async () => {
  await server?.stop();
});

/**
 * The passage holding `text` was sent, with its document and page, and its document comes first
 * (whole documents in page order, or the hit beside its neighbours).
 */
function expectPassageSent(
  retrieval: Extract<AnswerEvent, { type: "retrieval-end" }>,
  text: string,
  where: { documentTitle: string; pageNumber: number },
): void {
  expect(retrieval.sources.find((source) => source.text.includes(text))).toMatchObject(where);
  expect(retrieval.sources[0]?.documentTitle).toBe(where.documentTitle);
  const pages = retrieval.sources
    .filter((source) => source.documentTitle === where.documentTitle)
    .map((source) => source.pageNumber);
  if (retrieval.contextMode === "whole_documents") expect(pages).toEqual([...pages].sort((a, b) => a - b));
}

describe("through the HTTP API", () => {
  it("ingests PDFs and answers with citations to the right documents and pages, audited", async () => {
    expect((await api.upload(collectionId, "handbook.pdf", handbook)).status).toBe(202);
    if (hasCorpus) {
      const corpusPdf = await readFile(path.join(corpusPdfsDir, "docling", "multi_page.pdf"));
      expect((await api.upload(collectionId, "multi_page.pdf", corpusPdf)).status).toBe(202);
    } else {
      warnSkipped("corpus PDF upload");
    }
    const jobs = await api.waitForJobs(collectionId);
    expect(jobs.every((job) => job.state === "succeeded")).toBe(true);

    const response = await api.ask({ question: "Where must hard helmets be worn? zone seven cranes" });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const events = await readEvents(response);
    const retrieval = events.find((event) => event.type === "retrieval-end");
    if (retrieval?.type !== "retrieval-end") throw new Error(`no retrieval-end: ${JSON.stringify(events)}`);
    expectPassageSent(retrieval, "zone seven", { documentTitle: "handbook.pdf", pageNumber: 2 });
    const citations = events.flatMap((event) => (event.type === "citation" ? [event.citation] : []));
    expect(citations.length).toBeGreaterThan(0);
    for (const citation of citations) expect(citation.source).toEqual(retrieval.sources[citation.n - 1]);
    expect(events.flatMap((event) => (event.type === "text-delta" ? [event.text] : [])).join("")).toBe(
      expectedAnswerText,
    );
    const end = events.at(-1);
    if (end?.type !== "answer-end") throw new Error(`expected answer-end: ${JSON.stringify(end)}`);
    expect(end.rejectedMarkers).toEqual([42]);

    const stored = await api.answer(end.answerId);
    const payload = JSON.parse(stored.audit.payload);
    expect(payload.chunks).toEqual(
      retrieval.sources.map((source) =>
        expect.objectContaining({ chunkId: source.chunkId, contentHash: sha256Hex(source.text) }),
      ),
    );
    expect(payload.answerSha256).toBe(sha256Hex(expectedAnswerText));
    expect(stored.answer.answer).toBe(expectedAnswerText);
  });

  it.skipIf(!hasCorpus)("cites the page of a real corpus PDF", async () => {
    const events = await readEvents(
      await api.ask({
        question: "Apple MacWrite Macintosh graphical capabilities",
        collectionIds: [collectionId],
      }),
    );
    const retrieval = events.find((event) => event.type === "retrieval-end");
    if (retrieval?.type !== "retrieval-end") throw new Error("no retrieval-end");
    expectPassageSent(retrieval, "MacWrite", { documentTitle: "multi_page.pdf", pageNumber: 2 });
    const first = events.find((event) => event.type === "citation");
    if (first?.type !== "citation") throw new Error("no citation");
    expect(first.citation.source).toEqual(retrieval.sources[first.citation.n - 1]);
  });

  it("answers search requests without the answering model", async () => {
    const response = await api.search({ query: "helmets zone seven" });
    expect(response.status).toBe(200);
    const { passages } = (await response.json()) as {
      passages: { documentTitle: string; pageNumber: number }[];
    };
    expect(passages[0]).toMatchObject({ documentTitle: "handbook.pdf", pageNumber: 2 });
  });
});

describe("bad input over HTTP", () => {
  const errorOf = async (response: Response) =>
    ((await response.json()) as { error: { code: string; message: string } }).error;

  it.each([
    [
      "a non-PDF named .pdf",
      "fake.pdf",
      new TextEncoder().encode("<html><body>not a pdf</body></html>"),
      415,
      "unsupported:file_type",
    ],
    ["a 0-byte file", "empty.pdf", new Uint8Array(), 400, "invalid:empty_file"],
  ])("%s → %i %s", async (_name, fileName, data, status, code) => {
    const response = await api.upload(collectionId, fileName, data);
    expect(response.status).toBe(status);
    expect(await errorOf(response)).toMatchObject({ code, message: expect.any(String) });
  });

  it("refuses a file over the size limit with 413", async () => {
    const response = await api.upload(collectionId, "big.pdf", new Uint8Array(3 * 1024 * 1024).fill(0x25));
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe("too_large:upload");
  });

  it("fails encrypted and broken PDFs with a reason, losing nothing else", async () => {
    const broken = hasCorpus
      ? await readFile(path.join(corpusPdfsDir, "ocrmypdf-resources", "invalid.pdf"))
      : new TextEncoder().encode("%PDF-1.7\n%%EOF\n");
    const lockedCollection = await api.createCollection("bad-files");
    expect(
      (
        await api.upload(
          lockedCollection,
          "locked.pdf",
          buildEncryptedPdf({ pages: [["x"]], userPassword: "pw" }),
        )
      ).status,
    ).toBe(202);
    const brokenResponse = await api.upload(lockedCollection, "broken.pdf", broken);
    const jobs = await api.waitForJobs(lockedCollection);
    const locked = jobs.find((job) => job.documentTitle === "locked.pdf");
    expect(locked).toMatchObject({ state: "failed", errorCode: "invalid:pdf_encrypted" });
    if (brokenResponse.status === 202) {
      const brokenJob = jobs.find((job) => job.documentTitle === "broken.pdf");
      expect(brokenJob?.state).toBe("failed");
      expect(brokenJob?.errorMessage).toBeTruthy();
    } else {
      expect(brokenResponse.status).toBeGreaterThanOrEqual(400);
      expect(brokenResponse.status).toBeLessThan(500);
    }
    const stillThere = await api.jobs(collectionId);
    expect(stillThere.find((job) => job.documentTitle === "handbook.pdf")?.state).toBe("succeeded");
  });

  it.each([
    ["malformed JSON", "{not json", 400],
    ["prototype pollution", '{"question":"x","__proto__":{"polluted":true}}', 400],
    ["a wrong type", '{"question":42}', 400],
    ["client-chosen filter strings", '{"question":"x","collectionIds":["x\' OR 1=1"]}', 400],
  ])("refuses %s in an ask body", async (_name, body, status) => {
    const response = await api.request("/api/ask", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(response.status).toBe(status);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
