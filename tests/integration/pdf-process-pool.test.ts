import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPdfProcessPool,
  type PdfProcessPool,
  type PdfReadOptions,
} from "../../ingest/pdf/pdf-process-pool";
import type { OcrTask } from "../../ingest/pdf/pdf-protocol";
import type { ExtractedPage } from "../../ingest/types";
import { AppError } from "../../lib/errors";
import {
  type BrokenPdfKind,
  buildAttachmentEncryptedPdf,
  buildBrokenPdf,
  buildEncryptedPdf,
  buildTextPdf,
  textPdfLayout,
} from "../fixtures/builders/pdf";

const sharedDirectory = process.env.FOLIO_SHARED_DIR ?? path.resolve("../shared");
const corpusDirectory = path.join(sharedDirectory, "corpus", "pdfs");
const hasCorpus = existsSync(corpusDirectory);
if (!hasCorpus) console.warn(`Skipping corpus PDF tests: ${corpusDirectory} does not exist`);
const hasPdftotext = (() => {
  try {
    execFileSync("pdftotext", ["-v"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!hasPdftotext)
  console.warn("Skipping poppler read-back checks: pdftotext is not installed (poppler-utils)");

const pages = [
  [
    "Folio reads every page of a PDF with pdf.js in a child process. This paragraph is long enough to wrap onto a second line of the page, and then a third one for good measure.",
    "A second paragraph, with accents: café, naïve, déjà vu – and “quotes”.",
  ],
  ["Page two has a single paragraph."],
  ["Page three: the first paragraph.", "Page three: the second paragraph.", "Page three: the third."],
];

let directory: string;
const filePath = (name: string) => path.join(directory, name);

async function expectFailure(promise: Promise<unknown>, code: string): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  return error as AppError;
}

const normalize = (text: string) => text.replace(/\s+/g, " ").trim();

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-extract-pdf-"));
  await writeFile(filePath("text.pdf"), buildTextPdf({ title: "Quarterly Report", pages }));
  await writeFile(filePath("encrypted-r3.pdf"), buildEncryptedPdf({ pages, userPassword: "secret" }));
  await writeFile(
    filePath("encrypted-r2.pdf"),
    buildEncryptedPdf({ pages, userPassword: "secret", revision: 2 }),
  );
  await writeFile(filePath("empty.pdf"), new Uint8Array());
  await writeFile(
    filePath("attachment-encrypted.pdf"),
    buildAttachmentEncryptedPdf({ pages: [["The pages of this file are not encrypted."]] }),
  );
  for (const kind of ["truncated", "garbage-after-header", "header-only"] satisfies BrokenPdfKind[]) {
    await writeFile(filePath(`${kind}.pdf`), buildBrokenPdf(kind));
  }
  // ~1500 light pages: a few seconds of pdf.js work, used to run into time budgets.
  const longPages = Array.from({ length: 1500 }, (_, index) => [`Page ${index + 1} of a long document.`]);
  await writeFile(filePath("long.pdf"), buildTextPdf({ pages: longPages }));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

it("settles dispose() right after the last page, in a process with nothing else to do", () => {
  // Disposing a moment after the last page raced the read's own clean-up, which let go of the
  // child being killed: the process then exited (code 13 or 0) before dispose() settled.
  for (let run = 0; run < 5; run++) {
    const result = spawnSync(
      path.resolve("node_modules/.bin/tsx"),
      [path.resolve("tests/support/pdf-pool-read-and-dispose.ts"), filePath("text.pdf")],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect({ status: result.status, stdout: result.stdout.trim() }).toEqual({
      status: 0,
      stdout: "disposed after 3 pages",
    });
  }
});

describe("PDF builders", () => {
  it.skipIf(!hasPdftotext)("write text poppler reads back, paragraph for paragraph", () => {
    const text = execFileSync("pdftotext", [filePath("text.pdf"), "-"]).toString();
    const pageTexts = text.split("\f").slice(0, pages.length);
    expect(pageTexts.map(normalize)).toEqual(pages.map((paragraphs) => normalize(paragraphs.join(" "))));
  });

  it.skipIf(!hasPdftotext)("write encrypted files poppler opens only with the password", () => {
    for (const name of ["encrypted-r2.pdf", "encrypted-r3.pdf"]) {
      expect(() => execFileSync("pdftotext", [filePath(name), "-"], { stdio: "pipe" })).toThrow();
      const text = execFileSync("pdftotext", ["-upw", "secret", filePath(name), "-"]).toString();
      expect(normalize(text)).toContain("Page two has a single paragraph.");
    }
  });

  it("write encrypted files pdf.js decrypts with the password", async () => {
    for (const name of ["encrypted-r2.pdf", "encrypted-r3.pdf"]) {
      const task = getDocument({
        data: new Uint8Array(readFileSync(filePath(name))),
        password: "secret",
        isEvalSupported: false,
        verbosity: 0,
      });
      const document = await task.promise;
      const content = await (await document.getPage(2)).getTextContent();
      expect(content.items.map((item) => ("str" in item ? item.str : "")).join("")).toBe(
        "Page two has a single paragraph.",
      );
      await task.destroy();
    }
  });
});

interface ReadDocument {
  pageCount: number;
  title: string | null;
  pages: ExtractedPage[];
  ocr: OcrTask[];
}

/** Every page of a document, as the pool hands them out; `onPage` sees each as it arrives. */
async function readAll(
  pool: PdfProcessPool,
  file: string,
  options: Partial<PdfReadOptions> & { onPage?: (pageNumber: number, pageCount: number) => void } = {},
): Promise<ReadDocument> {
  const stream = await pool.read(file, {
    figureDirectory: options.figureDirectory ?? null,
    workDirectory: options.workDirectory ?? directory,
    ...(options.password === undefined ? {} : { password: options.password }),
  });
  const pages: ExtractedPage[] = [];
  const ocr: OcrTask[] = [];
  for await (const message of stream.pages) {
    pages.push(message.page);
    ocr.push(...message.ocr);
    options.onPage?.(message.page.pageNumber, stream.pageCount);
  }
  return { pageCount: stream.pageCount, title: stream.title, pages, ocr };
}

/** Shared by the tests that do not need special limits: a fresh child costs about a second. */
let pool: PdfProcessPool;
beforeAll(() => {
  pool = createPdfProcessPool({ processes: 2, pageTimeoutMs: 30_000, maxMemoryMb: 1024, maxPages: 5000 });
});
afterAll(async () => {
  await pool.dispose();
});

describe("createPdfProcessPool", () => {
  it("reads every page's paragraphs, page numbers, size and title", async () => {
    const document = await readAll(pool, filePath("text.pdf"));

    expect(document.pageCount).toBe(3);
    expect(document.title).toBe("Quarterly Report");
    expect(document.pages.map((page) => page.pageNumber)).toEqual([1, 2, 3]);
    expect(document.pages.map((page) => page.blocks.map((block) => block.text))).toEqual(
      pages.map((paragraphs) => paragraphs.map(normalize)),
    );
    for (const page of document.pages) {
      expect([page.width, page.height, page.isUnreadable, page.route]).toEqual([
        612,
        792,
        false,
        "text_layer",
      ]);
      for (const block of page.blocks) {
        expect([block.kind, block.source, block.confidence]).toEqual(["text", "text_layer", null]);
      }
    }
    expect(document.ocr).toEqual([]);
  });

  it("gives every block a box inside its page, where the builder drew it", async () => {
    const document = await readAll(pool, filePath("text.pdf"));
    for (const page of document.pages) {
      for (const { box } of page.blocks) {
        expect(box[0]).toBeGreaterThanOrEqual(0);
        expect(box[1]).toBeGreaterThanOrEqual(0);
        expect(box[2]).toBeLessThanOrEqual(page.width);
        expect(box[3]).toBeLessThanOrEqual(page.height);
        expect(box[0]).toBeLessThan(box[2]);
        expect(box[1]).toBeLessThan(box[3]);
      }
    }
    const first = document.pages[0]?.blocks[0];
    const { marginPt, defaultFontSizePt } = textPdfLayout;
    const baselineFromTop = marginPt + defaultFontSizePt;
    expect(first?.box[0]).toBeCloseTo(marginPt, 1);
    // The box spans the ascent above and the descent below the first baseline.
    expect(first?.box[1]).toBeLessThan(baselineFromTop - 0.6 * defaultFontSizePt);
    expect(first?.box[1]).toBeGreaterThan(baselineFromTop - 1.2 * defaultFontSizePt);
  });

  it("spreads a long document over its children and still hands pages out in order", async () => {
    const seen: number[] = [];
    const document = await readAll(pool, filePath("long.pdf"), {
      onPage: (pageNumber) => seen.push(pageNumber),
    });
    expect(document.pageCount).toBe(1500);
    expect(seen).toEqual(Array.from({ length: 1500 }, (_, index) => index + 1));
    expect(document.pages[1499]?.blocks[0]?.text).toBe("Page 1500 of a long document.");
    expect(pool.childProcessIds).toHaveLength(2);
  });

  it("reuses its children across documents", async () => {
    await readAll(pool, filePath("text.pdf"));
    const before = pool.childProcessIds;
    const started = performance.now();
    await readAll(pool, filePath("text.pdf"));
    expect(pool.childProcessIds).toEqual(before);
    // A fresh child alone takes about a second to load tsx and pdf.js.
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("caps each child's data segment through the operating system", async () => {
    await readAll(pool, filePath("text.pdf"));
    const [processId] = pool.childProcessIds;
    const limits = readFileSync(`/proc/${processId}/limits`, "utf8");
    const dataLine = limits.split("\n").find((line) => line.startsWith("Max data size")) ?? "";
    expect(dataLine.split(/\s{2,}/)[1]).toBe(String((1024 + 3072) * 1024 * 1024));
  });

  it.each(["encrypted-r2.pdf", "encrypted-r3.pdf"])(
    "reads %s with its password and refuses it without",
    async (name) => {
      const document = await readAll(pool, filePath(name), { password: "secret" });
      expect(document.pages[1]?.blocks.map((block) => block.text)).toEqual([
        "Page two has a single paragraph.",
      ]);
      const error = await expectFailure(readAll(pool, filePath(name)), "invalid:pdf_encrypted");
      expect(error.message).toBe("This PDF is password-protected: upload it again with its password.");
      const wrong = await expectFailure(
        readAll(pool, filePath(name), { password: "guess" }),
        "invalid:pdf_wrong_password",
      );
      expect(wrong.message).not.toContain("guess");
    },
  );

  it("reads a PDF whose encryption covers only its attachments", async () => {
    const document = await readAll(pool, filePath("attachment-encrypted.pdf"));
    expect(document.pages.map((page) => page.blocks.map((block) => block.text))).toEqual([
      ["The pages of this file are not encrypted."],
    ]);
  });

  it.each(["truncated.pdf", "garbage-after-header.pdf", "header-only.pdf", "empty.pdf"])(
    "refuses the broken %s as malformed",
    async (name) => {
      const error = await expectFailure(readAll(pool, filePath(name)), "invalid:pdf_malformed");
      expect(String((error.cause as Error).message)).not.toBe("");
    },
  );

  it("tells a 0-byte file apart in its message", async () => {
    const error = await expectFailure(readAll(pool, filePath("empty.pdf")), "invalid:pdf_malformed");
    expect(error.message).toBe("This PDF file is empty (0 bytes).");
  });

  it("reports a missing file as an internal error, not as the user's fault", async () => {
    await expectFailure(readAll(pool, filePath("missing.pdf")), "internal:unreadable_file");
  });

  it("keeps working after typed failures, in the same children", async () => {
    await readAll(pool, filePath("text.pdf"));
    const before = pool.childProcessIds;
    await expectFailure(readAll(pool, filePath("encrypted-r3.pdf")), "invalid:pdf_encrypted");
    await expectFailure(readAll(pool, filePath("truncated.pdf")), "invalid:pdf_malformed");
    expect((await readAll(pool, filePath("text.pdf"))).pageCount).toBe(3);
    expect(pool.childProcessIds).toEqual(before);
  });

  it("reads concurrent documents side by side", async () => {
    const results = await Promise.allSettled([
      readAll(pool, filePath("text.pdf")),
      readAll(pool, filePath("encrypted-r2.pdf")),
      readAll(pool, filePath("long.pdf")),
      readAll(pool, filePath("text.pdf")),
    ]);
    expect(results.map((result) => result.status)).toEqual([
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
    ]);
  });

  it("renders a page to a PNG of the asked width", async () => {
    const outputPath = filePath("page-2.png");
    const size = await pool.render(filePath("text.pdf"), { pageNumber: 2, widthPx: 306, outputPath });
    expect(size).toEqual({ widthPx: 306, heightPx: 396, pageWidth: 612, pageHeight: 792 });
    expect(readFileSync(outputPath).subarray(1, 4).toString("latin1")).toBe("PNG");
    await expectFailure(
      pool.render(filePath("text.pdf"), { pageNumber: 9, widthPx: 100, outputPath }),
      "not_found:page_number",
    );
  });

  it("fails only the current document when a child dies, and starts a new one", async () => {
    let killedProcessId: number | null = null;
    const failing = readAll(pool, filePath("long.pdf"), {
      onPage: (pageNumber) => {
        if (pageNumber !== 1) return;
        killedProcessId = pool.childProcessIds[0] ?? null;
        for (const processId of pool.childProcessIds) process.kill(processId, "SIGKILL");
      },
    });
    const error = await expectFailure(failing, "invalid:pdf_out_of_memory");
    expect(String((error.cause as Error).message)).toContain("SIGKILL");

    expect((await readAll(pool, filePath("text.pdf"))).pageCount).toBe(3);
    expect(pool.childProcessIds).not.toContain(killedProcessId);
  });

  it("keeps a page without text that renders blank or with only rules as an empty page, without OCR", async () => {
    // Page 1: nothing. Page 2: a header rule and a vertical rule. Page 3: glyph-sized boxes in
    // lines, as text drawn as outlines looks: OCR must still read that one.
    const glyphLines = Array.from({ length: 6 }, (_, line) =>
      Array.from({ length: 30 }, (_, glyph) => `${72 + glyph * 9} ${700 - line * 16} 6 8 re`).join(" "),
    ).join(" ");
    const file = filePath("no-text-layer.pdf");
    await writeFile(
      file,
      buildTextPdf({
        pages: [[], [], []],
        pageGraphics: [undefined, "0.5 w 72 740 m 540 740 l S 300 72 m 300 720 l S", `${glyphLines} f`],
      }),
    );
    const document = await readAll(pool, file);
    expect(document.pages.map((page) => [page.route, page.blocks.length])).toEqual([
      ["text_layer", 0],
      ["text_layer", 0],
      ["ocr", 0],
    ]);
    expect(document.ocr.map((task) => task.file)).toEqual([expect.stringMatching(/p3-page\.png$/)]);
  });
});

describe("createPdfProcessPool limits", () => {
  describe("with maxPages 2", () => {
    const limited = createPdfProcessPool({ processes: 1, maxMemoryMb: 512, maxPages: 2 });
    afterAll(async () => {
      await limited.dispose();
    });

    it("refuses a document over maxPages before reading any page", async () => {
      let pagesSeen = 0;
      const error = await expectFailure(
        readAll(limited, filePath("text.pdf"), { onPage: () => pagesSeen++ }),
        "invalid:pdf_too_many_pages",
      );
      expect(pagesSeen).toBe(0);
      expect(error.details).toEqual({ pageCount: 3, maxPages: 2 });
      expect(error.message).toBe("This PDF has 3 pages; at most 2 are accepted.");
    });
  });

  it("fails the document in progress at once on dispose, stops the children and refuses new work", async () => {
    const disposable = createPdfProcessPool({ processes: 2, maxMemoryMb: 512, maxPages: 5000 });
    let childProcessIds: number[] = [];
    let disposing: Promise<void> | null = null;
    let disposeStartedAt = 0;
    const inProgress = readAll(disposable, filePath("long.pdf"), {
      onPage: (pageNumber) => {
        if (pageNumber !== 1) return;
        childProcessIds = disposable.childProcessIds;
        disposeStartedAt = performance.now();
        disposing = disposable.dispose();
      },
    });
    await expectFailure(inProgress, "unavailable:pdf_extractor");
    await disposing;
    expect(performance.now() - disposeStartedAt).toBeLessThan(2_000);
    expect(disposable.childProcessIds).toEqual([]);
    expect(childProcessIds.length).toBeGreaterThan(0);
    for (const processId of childProcessIds) expect(() => process.kill(processId, 0)).toThrow();
    await expectFailure(readAll(disposable, filePath("text.pdf")), "unavailable:pdf_extractor");
  });

  it("kills a document over its time budget, and the next document still works", async () => {
    const limited = createPdfProcessPool({ processes: 1, timeoutMs: 400, maxMemoryMb: 512, maxPages: 5000 });
    try {
      await readAll(limited, filePath("text.pdf")); // warm: the budget excludes the child's start
      const started = performance.now();
      const error = await expectFailure(readAll(limited, filePath("long.pdf")), "invalid:pdf_timeout");
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(error.details).toEqual({ timeoutMs: 400 });
      expect((await readAll(limited, filePath("text.pdf"))).pageCount).toBe(3);
    } finally {
      await limited.dispose();
    }
  });

  it("kills a page that takes longer than the page budget, naming the page", async () => {
    // 60,000 text runs on one page: reading them takes far longer than 150 ms.
    const runs = Array.from(
      { length: 60_000 },
      (_, index) => `BT /F1 1 Tf ${index % 600} ${Math.floor(index / 600) % 790} Td (w${index}) Tj ET`,
    );
    await writeFile(filePath("slow.pdf"), buildRawSinglePagePdf(runs.join("\n")));
    const limited = createPdfProcessPool({
      processes: 1,
      pageTimeoutMs: 150,
      maxMemoryMb: 512,
      maxPages: 10,
    });
    try {
      await readAll(limited, filePath("text.pdf")).catch(() => undefined); // warm the child
      const error = await expectFailure(readAll(limited, filePath("slow.pdf")), "invalid:page_timeout");
      expect(error.details).toEqual({ pageNumber: 1, timeoutMs: 150 });
      expect(error.message).toContain("Page 1 of this PDF took longer than 150 ms");
    } finally {
      await limited.dispose();
    }
  });

  it("fails a document that exhausts the child's heap, and the next document still works", async () => {
    // One page with 200,000 text runs: far more objects than a 128 MB heap holds.
    const runs = Array.from(
      { length: 200_000 },
      (_, index) => `BT /F1 1 Tf ${index % 600} ${Math.floor(index / 600) % 790} Td (w${index}) Tj ET`,
    );
    await writeFile(filePath("dense.pdf"), buildRawSinglePagePdf(runs.join("\n")));
    const limited = createPdfProcessPool({ processes: 1, maxMemoryMb: 128, maxPages: 10 });
    try {
      const error = await expectFailure(readAll(limited, filePath("dense.pdf")), "invalid:pdf_out_of_memory");
      expect(error.details).toEqual({ maxMemoryMb: 128 });
      expect((await readAll(limited, filePath("text.pdf"))).pageCount).toBe(3);
    } finally {
      await limited.dispose();
    }
  });
});

/** A one-page PDF around a raw content stream (no xref table: pdf.js and poppler rebuild it). */
function buildRawSinglePagePdf(content: string): Uint8Array {
  return new TextEncoder().encode(
    [
      "%PDF-1.7",
      "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj",
      "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj",
      "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >> endobj",
      "4 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj",
      `5 0 obj << /Length ${content.length} >> stream\n${content}\nendstream endobj`,
      "trailer << /Root 1 0 R >>",
      "%%EOF",
    ].join("\n"),
  );
}

describe.skipIf(!hasCorpus)("createPdfProcessPool on the shared corpus", () => {
  const corpusFile = (relativePath: string) => path.join(corpusDirectory, relativePath);

  it("extracts the 14 two-column pages of tracemonkey.pdf in reading order", async () => {
    const document = await readAll(pool, corpusFile("pdfjs/tracemonkey.pdf"));
    expect(document.pageCount).toBe(14);
    expect(document.pages.every((page) => page.blocks.length > 0)).toBe(true);
    const firstPage = document.pages[0]?.blocks.map((block) => block.text) ?? [];
    expect(firstPage[0]).toBe("Trace-based Just-in-Time Type Specialization for Dynamic Languages");
    // The left column's "1. Introduction" comes before the right column's text.
    const introduction = firstPage.indexOf("1. Introduction");
    const rightColumn = firstPage.findIndex((text) =>
      text.startsWith("Compilers for statically typed languages"),
    );
    expect(introduction).toBeGreaterThan(0);
    expect(rightColumn).toBeGreaterThan(introduction);
  });

  // Passwords from the corpus MANIFEST (the source repositories' tests).
  it.each([
    ["pypdf-resources/encryption__r2-user-password.pdf", "asdfzxcv"],
    ["pypdf-resources/encryption__r6-both-passwords.pdf", "foo"],
    ["pypdf-sample-files/005-libreoffice-writer-password__libreoffice-writer-password.pdf", "openpassword"],
    ["pdfjs/issue6010_2.pdf", "æøå"],
    ["pdfplumber/password-example.pdf", "test"],
    ["tables-tabula/encrypted.pdf", "userpassword"],
  ])("refuses %s without its user password, and reads it with it", async (relativePath, password) => {
    await expectFailure(readAll(pool, corpusFile(relativePath)), "invalid:pdf_encrypted");
    const document = await readAll(pool, corpusFile(relativePath), { password });
    expect(document.pages.some((page) => page.blocks.length > 0)).toBe(true);
  });

  it("routes a scanned page to OCR: a render of the page, no text-layer blocks", async () => {
    const document = await readAll(pool, corpusFile("ocrmypdf-resources/linn.pdf"));
    expect(document.pages[0]?.route).toBe("ocr");
    expect(document.pages[0]?.blocks.filter((block) => block.kind !== "figure")).toEqual([]);
    const task = document.ocr[0];
    expect(task?.target).toBe("page");
    expect(task?.scale).toBeCloseTo(300 / 72, 1);
    expect(
      readFileSync(task?.file ?? "")
        .subarray(1, 4)
        .toString("latin1"),
    ).toBe("PNG");
  });

  it("crops a figure with its caption from a page with text", async () => {
    const figures = path.join(directory, "figures");
    await mkdir(figures, { recursive: true });
    const document = await readAll(
      pool,
      corpusFile("pypdf-sample-files/003-pdflatex-image__pdflatex-image.pdf"),
      {
        figureDirectory: figures,
      },
    );
    const figure = document.pages.flatMap((page) => page.blocks).find((block) => block.kind === "figure");
    expect(figure?.figure?.file).toMatch(/^p\d+-f1\.png$/);
    const png = readFileSync(path.join(figures, figure?.figure?.file ?? ""));
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    expect(figure?.figure?.widthPx).toBeGreaterThan(50);
  });

  it.each([
    "pdfjs/issue7665.pdf",
    "pypdf-resources/encryption__r4-owner-password.pdf",
    "pypdf-resources/encryption__r4-aes-v2-no-key-length.pdf",
  ])("reads %s, encrypted with an empty user password", async (relativePath) => {
    const document = await readAll(pool, corpusFile(relativePath));
    expect(document.pages.some((page) => page.blocks.length > 0)).toBe(true);
  });

  // What each broken file really is, and the clean outcome we expect from pdf.js.
  it.each<{ file: string; what: string; outcome: "text" | "no-text" | "invalid:pdf_malformed" }>([
    {
      file: "pdfjs/xref_command_missing.pdf",
      what: "xref keyword missing; pdf.js rebuilds the table",
      outcome: "text",
    },
    {
      file: "pdfjs/helloworld-bad.pdf",
      what: "wrong xref offsets; pdf.js rebuilds the table",
      outcome: "text",
    },
    { file: "pdfjs/issue1293r.pdf", what: "stream without a valid /Length", outcome: "text" },
    { file: "pdfjs/poppler-85140-0.pdf", what: "fuzzed file; one page, no text", outcome: "no-text" },
    {
      file: "ocrmypdf-resources/invalid.pdf",
      what: "a PDF header and %%EOF only",
      outcome: "invalid:pdf_malformed",
    },
    { file: "pdfplumber/empty.pdf", what: "0 bytes", outcome: "invalid:pdf_malformed" },
    {
      file: "pypdf-sample-files/017-unreadable-meta-data__unreadablemetadata.pdf",
      what: "broken linearized file; pdf.js: Invalid Root reference (poppler finds no page tree either)",
      outcome: "invalid:pdf_malformed",
    },
  ])("ends $file ($what) cleanly", async ({ file, outcome }) => {
    const started = performance.now();
    const result = await readAll(pool, corpusFile(file)).then(
      (document: ReadDocument) => document,
      (error: unknown) => error,
    );
    expect(performance.now() - started).toBeLessThan(10_000);
    if (outcome === "invalid:pdf_malformed") {
      expect((result as AppError).code).toBe(outcome);
    } else {
      const document = result as ReadDocument;
      expect(document.pageCount).toBeGreaterThan(0);
      const text = document.pages.flatMap((page) => page.blocks.map((block) => block.text)).join(" ");
      expect(text.length > 0).toBe(outcome === "text");
    }
  });

  it("counts the pages pypdf's sample-files index lists", async () => {
    const index = JSON.parse(
      readFileSync(corpusFile("pypdf-sample-files/sample-files.index.json"), "utf8"),
    ) as { data: { file_in_this_set: string; pages: number; encrypted: boolean }[] };
    const unreadable = new Set(["017-unreadable-meta-data__unreadablemetadata.pdf"]); // see above
    const entries = index.data.filter((entry) => !entry.encrypted && !unreadable.has(entry.file_in_this_set));
    expect(entries.length).toBeGreaterThan(10);
    for (const entry of entries) {
      const document = await readAll(pool, corpusFile(`pypdf-sample-files/${entry.file_in_this_set}`));
      expect({ file: entry.file_in_this_set, pages: document.pageCount }).toEqual({
        file: entry.file_in_this_set,
        pages: entry.pages,
      });
    }
  });
});
