import { readdir } from "node:fs/promises";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getAnswerWithCitations } from "../../db/queries/answers";
import { listAuditEvents } from "../../db/queries/audit-events";
import { createCollection } from "../../db/queries/collections";
import { getVersionWithDocument } from "../../db/queries/documents";
import { getJobById, requeueJob } from "../../db/queries/ingest-jobs";
import { answerSources } from "../../db/schema";
import { hashPrompt } from "../../lib/answer/prepare-answer";
import { startAnswer } from "../../lib/answer/start-answer";
import { verifyChain } from "../../lib/audit/hash-chain";
import type { AnswerEvent } from "../../lib/domain/answer-events";
import { LlamaCppGenerator } from "../../lib/llm/llama-cpp-generator";
import { sha256Hex } from "../../lib/text/sha256-hex";
import type { LanceDbStore } from "../../lib/vector-store/lancedb-store";
import { buildEncryptedPdf, buildTextPdf } from "../fixtures/builders/pdf";
import { storedBlobs } from "../support/instrumented-folio";
import { recordingGenerator } from "../support/recording-generator";
import { expectedAnswerText } from "../support/test-models";
import { bytesOf, createTestFolio, drainQueue, type TestFolio } from "../support/test-runtime";

const handbook = buildTextPdf({
  title: "Site safety handbook",
  pages: [
    ["Welcome to the site safety handbook. It explains how visitors and staff stay safe on the premises."],
    [
      "Protective equipment: hard helmets must be worn at all times in zone seven, where cranes operate overhead.",
      "Visitors receive a helmet at the gate and return it when they leave.",
    ],
    ["Fire exits are marked in green. Assembly point B is beside the car park."],
  ],
});
const finance = buildTextPdf({
  pages: [["Quarterly report: revenue grew by twelve percent in the third quarter, driven by exports."]],
});

let folio: TestFolio;
let generator: ReturnType<typeof recordingGenerator>;
let safetyId: string;
let financeId: string;

beforeAll(async () => {
  folio = await createTestFolio({
    environment: { MAX_UPLOAD_BYTES: String(200 * 1024) },
    overrides: async (models) => {
      generator = recordingGenerator(
        await LlamaCppGenerator.create({
          modelPath: models.generatorPath,
          modelSha256: "f".repeat(64),
          contextTokens: 4096,
          threads: 1,
        }),
      );
      return { generator };
    },
  });
  const { db } = folio.database;
  safetyId = (await createCollection({ db, name: "safety" })).collection.id;
  financeId = (await createCollection({ db, name: "finance" })).collection.id;
  console.info(`ingest-and-answer runs on ${folio.database.driver}`);
});

afterAll(async () => {
  await folio?.close();
});

const upload = (collectionId: string, fileName: string, data: Uint8Array) =>
  folio.ingest.accept({ collectionId, fileName, body: bytesOf(data), declaredBytes: data.byteLength });

async function collect(events: AsyncIterable<AnswerEvent>): Promise<AnswerEvent[]> {
  const all: AnswerEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe("ingest", () => {
  it("indexes an uploaded PDF with page numbers, and the same bytes twice make one version", async () => {
    const first = await upload(safetyId, "handbook.pdf", handbook);
    const again = await upload(safetyId, "handbook-copy.pdf", handbook);
    expect(first.isDuplicate).toBe(false);
    expect(again).toMatchObject({ isDuplicate: true, versionId: first.versionId, jobId: first.jobId });
    await upload(financeId, "finance.pdf", finance);
    await drainQueue(folio);

    const { db } = folio.database;
    const found = await getVersionWithDocument({ db, versionId: first.versionId });
    expect(found?.version).toMatchObject({ status: "indexed", pageCount: 3 });
    const store = (await folio.store()) as LanceDbStore;
    const chunkCount = await store.countChunks({ documentId: first.documentId });
    expect(chunkCount).toBe(found?.version.chunkCount);
    expect(chunkCount).toBeGreaterThanOrEqual(3);
  });

  it("re-running a job produces no duplicate chunks", async () => {
    const { db } = folio.database;
    const accepted = await upload(safetyId, "handbook.pdf", handbook);
    const store = (await folio.store()) as LanceDbStore;
    const before = await store.countChunks({ documentId: accepted.documentId });
    await requeueJob({ db, jobId: accepted.jobId });
    await drainQueue(folio);
    expect((await getJobById({ db, id: accepted.jobId }))?.state).toBe("succeeded");
    expect(await store.countChunks({ documentId: accepted.documentId })).toBe(before);
  });
});

describe("bad input", () => {
  it.each([
    [
      "a ZIP archive named .pdf",
      "archive.pdf",
      new TextEncoder().encode("PK\x03\x04 not a document"),
      "unsupported:file_type",
    ],
    ["a 0-byte file", "empty.pdf", new Uint8Array(), "invalid:empty_file"],
    ["a file over the size limit", "huge.pdf", new Uint8Array(300 * 1024).fill(0x25), "too_large:upload"],
  ])("refuses %s before storing anything", async (_name, fileName, data, code) => {
    const before = (await storedBlobs(folio)).length;
    await expect(upload(safetyId, fileName, data)).rejects.toMatchObject({ code });
    expect((await storedBlobs(folio)).length).toBe(before);
    expect(await readdir(path.join(folio.dataDir, "blobs", ".incoming"))).toEqual([]);
  });

  it("fails an encrypted PDF with a reason, and other documents stay searchable", async () => {
    const locked = await upload(
      safetyId,
      "locked.pdf",
      buildEncryptedPdf({ pages: [["secret text"]], userPassword: "pw" }),
    );
    await drainQueue(folio);
    const job = await getJobById({ db: folio.database.db, id: locked.jobId });
    expect(job).toMatchObject({ state: "failed", errorCode: "invalid:pdf_encrypted" });
    expect(job?.errorMessage).toMatch(/password/i);
    const events = await collect(
      await startAnswer(folio, {
        question: "helmets zone seven",
        collectionIds: [safetyId],
        actor: "tester",
      }),
    );
    expect(events.find((event) => event.type === "retrieval-end")).toBeDefined();
    expect(events.at(-1)?.type).toBe("answer-end");
  });
});

describe("ask", () => {
  it("streams an answer whose citations map to the right document and page, and audits exactly what was sent", async () => {
    generator.requests.length = 0;
    const events = await collect(
      await startAnswer(folio, {
        question: "Where must helmets be worn? zone seven",
        collectionIds: [safetyId, financeId],
        actor: "tester",
      }),
    );
    const retrieval = events.find((event) => event.type === "retrieval-end");
    if (retrieval?.type !== "retrieval-end") throw new Error("no retrieval-end event");
    // Both documents fit the window whole: the best one first, each in page order.
    expect(retrieval).toMatchObject({ contextMode: "whole_documents", documentCount: 2 });
    expect(retrieval.sources.map((source) => [source.documentTitle, source.pageNumber])).toEqual([
      ["handbook.pdf", 1],
      ["handbook.pdf", 2],
      ["handbook.pdf", 3],
      ["finance.pdf", 1],
    ]);
    expect(retrieval.sources[1]?.text).toContain("zone seven");

    const text = events.flatMap((event) => (event.type === "text-delta" ? [event.text] : [])).join("");
    expect(text).toBe(expectedAnswerText);
    const citations = events.flatMap((event) => (event.type === "citation" ? [event.citation] : []));
    expect(citations.map((citation) => citation.n)).toEqual([1, 2]);
    expect(citations.map((citation) => citation.source)).toEqual(retrieval.sources.slice(0, 2));
    const end = events.at(-1);
    if (end?.type !== "answer-end") throw new Error(`expected answer-end, got ${JSON.stringify(end)}`);
    expect(end.rejectedMarkers).toEqual([42]);

    const [request] = generator.requests;
    if (!request) throw new Error("the generator was not called");
    const audit = (await listAuditEvents({ db: folio.database.db })).find(
      (event) => event.seq === end.auditSeq,
    );
    const payload = JSON.parse(audit?.payload ?? "{}");
    expect(payload.promptHash).toBe(hashPrompt(request));
    expect(payload.chunks.map((chunk: { chunkId: string }) => chunk.chunkId)).toEqual(
      retrieval.sources.map((s) => s.chunkId),
    );
    for (const [index, chunk] of (payload.chunks as { contentHash: string }[]).entries()) {
      const source = retrieval.sources[index];
      expect(request.messages[0]?.content).toContain(source?.text);
      expect(chunk.contentHash).toBe(sha256Hex(source?.text ?? ""));
    }
    // The ledger holds the texts by hash; the passages themselves are kept with the answer, as sent.
    const kept = await folio.database.db
      .select()
      .from(answerSources)
      .where(eq(answerSources.answerId, end.answerId))
      .orderBy(answerSources.n);
    expect(kept.map((source) => [source.chunkId, source.text, source.contentHash])).toEqual(
      retrieval.sources.map((source) => [source.chunkId, source.text, sha256Hex(source.text)]),
    );
    expect(payload).toMatchObject({
      questionSha256: sha256Hex("Where must helmets be worn? zone seven"),
      answerSha256: sha256Hex(expectedAnswerText),
      rejectedMarkers: [42],
      citations: [{ n: 1 }, { n: 2 }],
      model: { sha256: "f".repeat(64) },
      status: "complete",
    });
    expect(verifyChain(await listAuditEvents({ db: folio.database.db })).isIntact).toBe(true);
  });

  it("retrieves only from the collections the asker may read", async () => {
    const events = await collect(
      await startAnswer(folio, {
        question: "helmets zone seven revenue",
        collectionIds: [financeId],
        actor: "tester",
      }),
    );
    const retrieval = events.find((event) => event.type === "retrieval-end");
    if (retrieval?.type !== "retrieval-end") throw new Error("no retrieval-end event");
    expect(retrieval.sources.length).toBeGreaterThan(0);
    expect(retrieval.sources.every((source) => source.documentTitle === "finance.pdf")).toBe(true);
  });

  it("records a cancelled answer with its audit event when the consumer stops reading", async () => {
    const { db } = folio.database;
    const before = (await listAuditEvents({ db })).length;
    const events = await startAnswer(folio, {
      question: "helmets zone seven",
      collectionIds: [safetyId],
      actor: "tester",
    });
    let answerId = "";
    for await (const event of events) {
      if (event.type === "text-delta") break;
    }
    const audit = await listAuditEvents({ db });
    expect(audit).toHaveLength(before + 1);
    const payload = JSON.parse(audit.at(-1)?.payload ?? "{}");
    answerId = payload.answerId;
    expect(payload).toMatchObject({ status: "error", errorCode: "aborted:answer" });
    expect((await getAnswerWithCitations({ db, id: answerId }))?.answer.status).toBe("error");
    expect(verifyChain(audit).isIntact).toBe(true);
  });

  it("ends with an error, not answer-end, when the answer cannot be recorded, and stores nothing", async () => {
    const { db } = folio.database;
    const before = (await listAuditEvents({ db })).length;
    // A real fault in the database: every append to the ledger fails until the trigger goes.
    await db.execute(
      sql.raw(`CREATE FUNCTION refuse_append() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the ledger is unavailable'; END; $$`),
    );
    await db.execute(
      sql.raw(
        "CREATE TRIGGER refuse_append BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_append()",
      ),
    );
    let events: AnswerEvent[];
    try {
      events = await collect(
        await startAnswer(folio, {
          question: "helmets zone seven",
          collectionIds: [safetyId],
          actor: "tester",
        }),
      );
    } finally {
      await db.execute(sql.raw("DROP TRIGGER refuse_append ON audit_events"));
      await db.execute(sql.raw("DROP FUNCTION refuse_append()"));
    }
    expect(events.some((event) => event.type === "text-delta")).toBe(true);
    expect(events.some((event) => event.type === "answer-end")).toBe(false);
    expect(events.at(-1)).toMatchObject({
      type: "error",
      code: "unavailable:audit",
      message: expect.stringContaining("must not be relied on"),
    });
    expect(await listAuditEvents({ db })).toHaveLength(before);
  });

  it("says so instead of generating when nothing can be retrieved", async () => {
    generator.requests.length = 0;
    const events = await collect(
      await startAnswer(folio, { question: "anything", collectionIds: [], actor: "tester" }),
    );
    expect(generator.requests).toHaveLength(0);
    expect(events.find((event) => event.type === "text-delta")).toMatchObject({
      text: expect.stringMatching(/could not find/),
    });
    expect(events.at(-1)?.type).toBe("answer-end");
  });
});
