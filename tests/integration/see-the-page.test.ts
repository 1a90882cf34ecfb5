import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCollection } from "../../db/queries/collections";
import { getVersionWithDocument } from "../../db/queries/documents";
import { chunkIdOf } from "../../lib/domain/chunk-id";
import type { StoredChunk } from "../../lib/vector-store/vector-store";
import { buildEncryptedPdf } from "../fixtures/builders/pdf";
import { corpusDir, hasCorpus } from "../support/corpus";
import { bytesOf, createTestFolio, drainQueue, type TestFolio } from "../support/test-runtime";

/*
 * Scans, images, figures, tables, headings and passwords through the whole ingest path: one
 * Folio on real parts (pdf.js children, tesseract.js, sharp, the tiny embedder, LanceDB).
 */

let folio: TestFolio;
let collectionId: string;

beforeAll(async () => {
  folio = await createTestFolio();
  collectionId = (await createCollection({ db: folio.database.db, name: "pages" })).collection.id;
});
afterAll(async () => folio?.close());

async function ingest(fileName: string, bytes: Uint8Array, password?: string) {
  const accepted = await folio.ingest.accept({
    collectionId,
    fileName,
    body: bytesOf(bytes),
    ...(password === undefined ? {} : { password }),
  });
  await drainQueue(folio);
  return accepted;
}

/** Rows of a raw query: PGlite returns `{ rows }`, postgres.js an array. */
function rowsOf<Row>(result: unknown): Row[] {
  return (Array.isArray(result) ? result : (result as { rows: Row[] }).rows) as Row[];
}

async function versionOf(versionId: string) {
  const found = await getVersionWithDocument({ db: folio.database.db, versionId });
  if (!found) throw new Error(`no version ${versionId}`);
  return found.version;
}

async function chunksOf(versionId: string): Promise<StoredChunk[]> {
  const version = await versionOf(versionId);
  const chunkIds = Array.from({ length: version.chunkCount ?? 0 }, (_, index) => chunkIdOf(versionId, index));
  const chunks = await (await folio.store()).getChunks({ collectionIds: [collectionId], chunkIds });
  return chunks.sort((a, b) => a.chunkIndex - b.chunkIndex);
}

async function readCorpus(relativePath: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path.join(corpusDir, relativePath)));
}

describe.skipIf(!hasCorpus)("pages read by OCR, images, figures, tables and headings", () => {
  it("reads a scanned PDF page by OCR, recording the source and its confidence", async () => {
    const { versionId } = await ingest("linn.pdf", await readCorpus("pdfs/ocrmypdf-resources/linn.pdf"));
    expect((await versionOf(versionId)).status).toBe("indexed");
    const chunks = await chunksOf(versionId);
    expect(chunks.map((chunk) => chunk.text).join(" ")).toContain("LinnSequencer");
    for (const chunk of chunks.filter((entry) => entry.kind === "text")) {
      expect(chunk.source).toBe("ocr");
      expect(chunk.confidence).toBeGreaterThan(0.5);
      expect(chunk.confidence).toBeLessThanOrEqual(1);
      expect(chunk.box?.[2]).toBeLessThanOrEqual(612);
    }
  });

  it("keeps a screenshot as a figure linked to its image, with its OCR text as passages", async () => {
    const { versionId } = await ingest(
      "phototest.tif",
      await readCorpus("images/tesseract-test/phototest.tif"),
    );
    const version = await versionOf(versionId);
    expect([version.status, version.mediaType]).toEqual(["indexed", "image/tiff"]);
    const chunks = await chunksOf(versionId);
    const figure = chunks.find((chunk) => chunk.kind === "figure");
    expect(figure?.figureFile).toBe("p1-image.png");
    expect(
      existsSync(folio.derived.pathOf(version.sha256, { kind: "figure", name: figure?.figureFile ?? "" })),
    ).toBe(true);
    const text = chunks.filter((chunk) => chunk.kind === "text");
    expect(text.map((chunk) => chunk.text).join(" ")).toContain("quick brown dog");
    expect(text.every((chunk) => chunk.source === "ocr")).toBe(true);
  });

  it("crops a figure out of a PDF page into its own chunk", async () => {
    const { versionId } = await ingest(
      "pdflatex-image.pdf",
      await readCorpus("pdfs/pypdf-sample-files/003-pdflatex-image__pdflatex-image.pdf"),
    );
    const version = await versionOf(versionId);
    const figure = (await chunksOf(versionId)).find((chunk) => chunk.kind === "figure");
    expect(figure?.figureFile).toMatch(/^p\d+-f\d+\.png$/);
    expect(figure?.box).not.toBeNull();
    expect(
      existsSync(folio.derived.pathOf(version.sha256, { kind: "figure", name: figure?.figureFile ?? "" })),
    ).toBe(true);
  });

  it("keeps a table whole as Markdown, and gives passages their heading path", async () => {
    const table = await ingest("eu-004.pdf", await readCorpus("pdfs/tables-icdar2013/eu-004.pdf"));
    const tableChunks = (await chunksOf(table.versionId)).filter((chunk) => chunk.kind === "table");
    expect(tableChunks.length).toBeGreaterThan(0);
    expect(tableChunks[0]?.text).toMatch(/^\|.*\|$/m);
    expect(tableChunks[0]?.text).toMatch(/^\| *-+/m);

    const paper = await ingest("tracemonkey.pdf", await readCorpus("pdfs/pdfjs/tracemonkey.pdf"));
    const paths = (await chunksOf(paper.versionId)).map((chunk) => chunk.headingPath.join(" › "));
    expect(paths.some((headingPath) => headingPath.includes("Introduction"))).toBe(true);
  });
});

describe("password-protected PDFs", () => {
  const pages = [["The quarterly figures are confidential."]];
  const password = "correct horse battery staple";

  it("reads an encrypted PDF uploaded with its password, and stores the password nowhere", async () => {
    const { versionId } = await ingest(
      "locked.pdf",
      buildEncryptedPdf({ pages, userPassword: password }),
      password,
    );
    expect((await versionOf(versionId)).status).toBe("indexed");
    expect((await chunksOf(versionId))[0]?.text).toBe("The quarterly figures are confidential.");

    const tables = rowsOf<{ table_name: string }>(
      await folio.database.db.execute(
        sql`select table_name from information_schema.tables where table_schema = 'public'`,
      ),
    );
    expect(tables.length).toBeGreaterThan(10);
    for (const { table_name: tableName } of tables) {
      const rows = rowsOf<{ row: string }>(
        await folio.database.db.execute(sql.raw(`select row_to_json(t)::text as row from "${tableName}" t`)),
      );
      for (const { row } of rows) expect(row).not.toContain(password);
    }
  });

  it("fails without the password, says so, and reads the document once a curator gives it", async () => {
    const bytes = buildEncryptedPdf({ pages: [["Second locked file."]], userPassword: password });
    const { documentId, versionId } = await ingest("locked-2.pdf", bytes);
    const failed = await versionOf(versionId);
    expect([failed.status, failed.errorCode]).toEqual(["failed", "invalid:pdf_encrypted"]);
    expect(failed.errorMessage).toBe("This PDF is password-protected: upload it again with its password.");

    await folio.ingest.unlock({ documentId, versionId, password: "wrong guess" });
    await drainQueue(folio);
    const wrong = await versionOf(versionId);
    expect([wrong.status, wrong.errorCode]).toEqual(["failed", "invalid:pdf_wrong_password"]);
    expect(wrong.errorMessage).not.toContain("wrong guess");

    await folio.ingest.unlock({ documentId, versionId, password });
    await drainQueue(folio);
    expect((await versionOf(versionId)).status).toBe("indexed");
    await expect(folio.ingest.unlock({ documentId, versionId, password })).rejects.toMatchObject({
      code: "conflict:version",
    });
  });

  it("reads the same failed bytes again when they are uploaded with the password", async () => {
    const bytes = buildEncryptedPdf({ pages: [["Third locked file."]], userPassword: password });
    const first = await ingest("locked-3.pdf", bytes);
    expect((await versionOf(first.versionId)).errorCode).toBe("invalid:pdf_encrypted");
    const again = await ingest("locked-3.pdf", bytes, password);
    expect([again.versionId, again.isDuplicate]).toEqual([first.versionId, false]);
    expect((await versionOf(first.versionId)).status).toBe("indexed");
  });
});
