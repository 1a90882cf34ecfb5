import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OfficeReader } from "../../ingest/office/office-reader";
import type { PdfProcessPool } from "../../ingest/pdf/pdf-process-pool";
import { createDocumentReader } from "../../ingest/read/create-document-reader";
import type { LazyOcr } from "../../ingest/read/region-ocr";

/**
 * Which text files are parsed in the worker's own process (the web server's, with the in-process
 * worker) and which in a child: the split follows each parser's worst case, not its typical speed.
 */

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-text-dispatch-"));
});
afterAll(async () => rm(directory, { recursive: true, force: true }));

function readerWithRecordingChild() {
  const sentToChild: string[] = [];
  const office = {
    read: async (input: { filePath: string; mediaType: string }) => {
      sentToChild.push(input.mediaType);
      return { pageCount: 0, title: null, hasMacros: false, pages: (async function* () {})() };
    },
    childProcessIds: [],
    dispose: async () => {},
  } satisfies OfficeReader;
  const reader = createDocumentReader({
    pdf: {} as PdfProcessPool,
    ocr: {} as LazyOcr,
    limits: { maxImagePixels: 1, maxPages: 1000 },
    office,
  });
  return { reader, sentToChild };
}

async function fileOf(name: string, text: string): Promise<string> {
  const filePath = path.join(directory, name);
  await writeFile(filePath, text);
  return filePath;
}

describe("createDocumentReader: text files in process or in a child", () => {
  it("sends a 40 KiB Markdown paragraph to the child: marked's emphasis scan is quadratic in it (0.9 s at 40 KiB, 35 s at 256 KiB)", async () => {
    const { reader, sentToChild } = readerWithRecordingChild();
    await reader.read({
      filePath: await fileOf("under.md", "_a".repeat(20_000)),
      mediaType: "text/markdown",
      figureDirectory: null,
    });
    expect(sentToChild).toEqual(["text/markdown"]);
  });

  it("reads a small Markdown file, and 40 KiB of HTML or plain text, in process", async () => {
    const { reader, sentToChild } = readerWithRecordingChild();
    const small = await reader.read({
      filePath: await fileOf("small.md", "# Notes\n\nThe harbour opens at nine.\n"),
      mediaType: "text/markdown",
      figureDirectory: null,
    });
    expect(small.pageCount).toBe(1);
    const paragraph = `<p>${"harbour ".repeat(5_000)}</p>`;
    await reader.read({
      filePath: await fileOf("page.html", paragraph),
      mediaType: "text/html",
      figureDirectory: null,
    });
    await reader.read({
      filePath: await fileOf("notes.txt", "harbour ".repeat(5_000)),
      mediaType: "text/plain",
      figureDirectory: null,
    });
    expect(sentToChild).toEqual([]);
  });
});
