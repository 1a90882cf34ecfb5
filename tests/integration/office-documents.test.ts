import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { deflateRawSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCollection } from "../../db/queries/collections";
import { getVersionWithDocument } from "../../db/queries/documents";
import { getJobById } from "../../db/queries/ingest-jobs";
import { createOfficeReader } from "../../ingest/office/office-reader";
import { createConfiguredDocumentReader } from "../../ingest/read/create-document-reader";
import { loadConfig } from "../../lib/config";
import { retrieveContext } from "../../lib/retrieval/retrieve-context";
import {
  buildDocx,
  buildPptx,
  buildXlsx,
  compoundFileHead,
  mediaTypes,
  minimalDocxEntries,
  wordDocumentXml,
  writeZip,
} from "../fixtures/builders/office";
import { bytesOf, createTestFolio, drainQueue, type TestFolio } from "../support/test-runtime";

/**
 * Word, PowerPoint and Excel files through the real upload path, ingest worker (each read in its
 * own child process), PGlite or PostgreSQL, LanceDB and the tiny embedder: chunks carry the
 * slide or sheet as their page label and the document's headings as their path; hostile packages
 * fail alone with a typed reason, leave no chunk and no converter process behind.
 */

let folio: TestFolio;
let collectionId: string;

beforeAll(async () => {
  folio = await createTestFolio({ environment: { INGEST_MAX_ATTEMPTS: "1" } });
  collectionId = (await createCollection({ db: folio.database.db, name: "office" })).collection.id;
});
afterAll(async () => folio?.close());

async function ingest(fileName: string, bytes: Uint8Array) {
  const accepted = await folio.ingest.accept({ collectionId, fileName, body: bytesOf(bytes) });
  await drainQueue(folio);
  const db = folio.database.db;
  const found = await getVersionWithDocument({ db, versionId: accepted.versionId });
  const job = await getJobById({ db, id: accepted.jobId });
  return { ...accepted, version: found?.version, jobState: job?.state };
}

async function chunksOf(documentId: string, queryText: string) {
  const store = await folio.store();
  const hits = await store.search({
    collectionIds: [collectionId],
    queryText,
    queryVector: new Float32Array(store.dims),
    limit: 100,
    mode: "text",
  });
  return hits.map((hit) => hit.chunk).filter((chunk) => chunk.documentId === documentId);
}

describe("Office documents through upload and the ingest worker", () => {
  it("indexes a deck whose chunks are cited by slide, with the slide title as heading path", async () => {
    const deck = await ingest("review.pptx", await buildPptx());
    expect(deck.version).toMatchObject({ status: "indexed", mediaType: mediaTypes.pptx, pageCount: 3 });
    const passages = await retrieveContext(
      { db: folio.database.db, store: await folio.store(), embedder: await folio.embedder() },
      { question: "turbine exports", collectionIds: [collectionId], limit: 5, mode: "text" },
    );
    const cited = passages.find((passage) => passage.text.includes("Turbine exports doubled"));
    expect(cited).toMatchObject({ pageNumber: 2, pageLabel: "Slide 2: Revenue by region" });
    expect(cited?.headingPath).toEqual(["Revenue by region"]);
    const notes = await chunksOf(deck.documentId, "auditors harbour");
    expect(notes[0]).toMatchObject({
      pageLabel: "Slide 1: Welcome",
      headingPath: ["Welcome", "Speaker notes"],
    });
  });

  it("indexes a workbook whose table chunks are cited by sheet", async () => {
    const book = await ingest("figures.xlsx", await buildXlsx());
    expect(book.version).toMatchObject({ status: "indexed", pageCount: 3 });
    const [table] = await chunksOf(book.documentId, "Audited");
    expect(table).toMatchObject({ kind: "table", pageLabel: "Sheet: Revenue", headingPath: ["Revenue"] });
    // The sheet's title leads its table's first part, never a passage of its own.
    const [first] = await chunksOf(book.documentId, "North");
    expect(first?.text).toMatch(/^Revenue\n\n\| Region \| Q1 /);
    expect(first?.text).toContain("| North | 1,200.50 | 1300 | 2500.5 | 2024-03-31 | 12.5% |");
  });

  it("indexes a Word document paged by section, with heading paths and Markdown tables", async () => {
    const report = await ingest("report.docx", await buildDocx());
    expect(report.version).toMatchObject({ status: "indexed", pageCount: 3 });
    const [table] = (await chunksOf(report.documentId, "South")).filter((chunk) => chunk.kind === "table");
    expect(table).toMatchObject({ pageLabel: "Overview", headingPath: ["Overview", "Regional results"] });
    expect(table?.text).toContain("| South | 950 |");
  });

  it("reads a macro-enabled document's text as data and never its VBA project", async () => {
    const body = wordDocumentXml(["The harbour crane schedule is in the macro workbook."]);
    // Not deflate data: inflating the VBA project would fail the document.
    const macros = {
      name: "word/vbaProject.bin",
      data: new Uint8Array(0),
      storedData: new Uint8Array(512).fill(0xff),
    };
    const result = await ingest("schedule.docm", writeZip([...minimalDocxEntries(body), macros]));
    expect(result.version).toMatchObject({ status: "indexed", errorCode: null });
    expect((await chunksOf(result.documentId, "crane schedule"))[0]?.text).toContain(
      "harbour crane schedule",
    );
  });

  const body = wordDocumentXml(["Nothing of this may be indexed."]);
  const withDocument = (
    data: Uint8Array | string,
    extra: Partial<{ storedData: Uint8Array; declaredSize: number }> = {},
  ) =>
    writeZip(
      minimalDocxEntries(body).map((entry) =>
        entry.name === "word/document.xml" ? { ...entry, data, ...extra } : entry,
      ),
    );
  // More hostile packages (lying sizes, names, encryption, truncation) are in tests/unit/office-archive.test.ts.
  const hostile: [string, string, () => Uint8Array][] = [
    [
      "xxe.docx",
      "invalid:xml_entities",
      () =>
        withDocument(
          wordDocumentXml(["&xxe;"], '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>').replace(
            "&amp;",
            "&",
          ),
        ),
    ],
    [
      "bomb.docx",
      "invalid:office_zip_bomb",
      () =>
        withDocument(new Uint8Array(0), {
          storedData: deflateRawSync(Buffer.alloc(32 << 20)),
          declaredSize: 32 << 20,
        }),
    ],
  ];

  it.each(hostile)(
    "fails %s alone with %s, leaving no chunk and no converter behind",
    async (fileName, code, build) => {
      const result = await ingest(fileName, build());
      expect(result.version).toMatchObject({ status: "failed", errorCode: code, chunkCount: null });
      expect(result.jobState).toBe("failed");
      expect(result.version?.errorMessage).toMatch(/^[A-Z]/);
      expect(result.version?.errorMessage).not.toMatch(/\/(tmp|work|home)\/|\.ts\b|Error:/);
      expect(await chunksOf(result.documentId, "indexed")).toEqual([]);
      // No PDF was read here, so every parser child would be an Office converter.
      expect(folio.ingest.reader.parserProcessIds).toEqual([]);
    },
  );

  it("refuses a password-protected Office file at upload", async () => {
    await expect(
      folio.ingest.accept({ collectionId, fileName: "locked.docx", body: bytesOf(compoundFileHead()) }),
    ).rejects.toMatchObject({ code: "invalid:office_encrypted" });
  });
});

describe("the Office reader's child process", () => {
  it("stops the converter once every page has arrived, even when the pages are never read", async () => {
    const reader = createOfficeReader();
    const directory = await mkdtemp(path.join(tmpdir(), "folio-office-unread-"));
    try {
      const filePath = path.join(directory, "deck.pptx");
      await writeFile(filePath, await buildPptx());
      const read = await reader.read({ filePath, mediaType: mediaTypes.pptx });
      expect(read.pageCount).toBe(3);
      await expect.poll(() => reader.childProcessIds, { timeout: 10_000 }).toEqual([]);
    } finally {
      await reader.dispose();
      await rm(directory, { recursive: true, force: true });
    }
  });

  it("refuses a package over OFFICE_MAX_UNCOMPRESSED_MB through the configured reader", async () => {
    expect(() => loadConfig({ OFFICE_MAX_UNCOMPRESSED_MB: "0" })).toThrow(/OFFICE_MAX_UNCOMPRESSED_MB/);
    const reader = createConfiguredDocumentReader(loadConfig({ OFFICE_MAX_UNCOMPRESSED_MB: "1" }));
    const directory = await mkdtemp(path.join(tmpdir(), "folio-office-limit-"));
    try {
      const filePath = path.join(directory, "padded.docx");
      const padding = {
        name: "word/padding.xml",
        data: `<x>${" ".repeat(1_200_000)}</x>`,
        method: 0 as const,
      };
      await writeFile(filePath, writeZip([...minimalDocxEntries(wordDocumentXml(["Small text."])), padding]));
      await expect(
        reader.read({ filePath, mediaType: mediaTypes.docx, figureDirectory: null }),
      ).rejects.toMatchObject({
        code: "too_large:office_archive",
        message: expect.stringContaining("OFFICE_MAX_UNCOMPRESSED_MB"),
      });
    } finally {
      await reader.dispose();
      await rm(directory, { recursive: true, force: true });
    }
  });

  it("stops a document past its time budget: invalid:office_timeout, no process left", async () => {
    const reader = createOfficeReader({ timeoutMs: 50 });
    try {
      await expect(
        reader.read({ filePath: "/nonexistent.docx", mediaType: mediaTypes.docx }),
      ).rejects.toMatchObject({ code: "invalid:office_timeout" });
      expect(reader.childProcessIds).toEqual([]);
    } finally {
      await reader.dispose();
    }
  });

  it("stops a converter that runs out of its memory cap: invalid:office_out_of_memory", async () => {
    // One paragraph of 40 MB, stored uncompressed (no bomb): mammoth's tree of it does not fit 128 MB.
    const huge = wordDocumentXml(["harbour ".repeat(5_000_000)]);
    const directory = await mkdtemp(path.join(tmpdir(), "folio-office-oom-"));
    const reader = createOfficeReader({ maxMemoryMb: 128 });
    try {
      const filePath = path.join(directory, "huge.docx");
      await writeFile(
        filePath,
        writeZip(minimalDocxEntries(huge).map((entry) => ({ ...entry, method: 0 as const }))),
      );
      await expect(reader.read({ filePath, mediaType: mediaTypes.docx })).rejects.toMatchObject({
        code: "invalid:office_out_of_memory",
      });
      expect(reader.childProcessIds).toEqual([]);
    } finally {
      await reader.dispose();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
