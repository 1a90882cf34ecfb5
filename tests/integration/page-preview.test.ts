import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPdfProcessPool, type PdfProcessPool } from "../../ingest/pdf/pdf-process-pool";
import {
  type PagePreviewDependencies,
  type PreviewVersion,
  pagePreview,
} from "../../lib/previews/page-preview";
import { DerivedStore } from "../../lib/storage/derived-store";
import { sha256Hex } from "../../lib/text/sha256-hex";
import { buildEncryptedPdf, buildTextPdf, textPdfLayout } from "../fixtures/builders/pdf";

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let directory: string;
let pool: PdfProcessPool;
let renderCount = 0;
let dependencies: PagePreviewDependencies;

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-preview-"));
  await mkdir(path.join(directory, "blobs"));
  pool = createPdfProcessPool({ processes: 1, pageTimeoutMs: 30_000 });
  dependencies = {
    blobs: { pathOf: (sha256) => path.join(directory, "blobs", sha256) },
    derived: new DerivedStore(path.join(directory, "derived")),
    renderPdfPage: (filePath, options) => {
      renderCount += 1;
      return pool.render(filePath, options);
    },
    maxImagePixels: 50_000_000,
  };
});

afterAll(async () => {
  await pool?.dispose();
  await rm(directory, { recursive: true, force: true });
});

/** Stores bytes as an original, the way uploads do (by sha256). */
async function storeOriginal(
  bytes: Uint8Array,
  mediaType: string,
  pageCount: number,
): Promise<PreviewVersion> {
  const sha256 = sha256Hex(bytes);
  await writeFile(dependencies.blobs.pathOf(sha256), bytes);
  return { sha256, mediaType, pageCount };
}

async function pngSize(filePath: string) {
  const bytes = await readFile(filePath);
  expect(bytes.subarray(0, 8)).toEqual(pngSignature);
  const { width, height, format } = await sharp(bytes).metadata();
  return { width, height, format };
}

describe("pagePreview of a PDF", () => {
  const pdf = buildTextPdf({
    pages: [["The first page is about lanterns."], ["The second page is about ladders."]],
  });

  it("renders a page once with pdf.js in the parser pool, at thumbnail and reading width, with its size in points", async () => {
    const version = await storeOriginal(pdf, "application/pdf", 2);
    const before = renderCount;
    const thumbnail = await pagePreview(dependencies, { version, pageNumber: 2, size: "thumbnail" });
    const reading = await pagePreview(dependencies, { version, pageNumber: 2, size: "reading" });
    expect(renderCount - before).toBe(2);

    expect(await pngSize(thumbnail.filePath)).toMatchObject({ width: 240, height: 311, format: "png" });
    expect(await pngSize(reading.filePath)).toMatchObject({ width: 1200, height: 1553 });
    expect(reading.geometry).toEqual({
      pageNumber: 2,
      pageCount: 2,
      width: textPdfLayout.pageWidthPt,
      height: textPdfLayout.pageHeightPt,
      unit: "pt",
      widthPx: 1200,
      heightPx: 1553,
    });
    // The page is mostly white with dark text: the render is not blank.
    const { channels } = await sharp(reading.filePath).stats();
    expect(channels[0]?.min).toBeLessThan(100);
    expect(channels[0]?.max).toBe(255);
  });

  it("serves the cached file on the next call without rendering again (file untouched)", async () => {
    const version = await storeOriginal(pdf, "application/pdf", 2);
    const first = await pagePreview(dependencies, { version, pageNumber: 1, size: "thumbnail" });
    const { mtimeMs } = await stat(first.filePath);
    const before = renderCount;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await pagePreview(dependencies, { version, pageNumber: 1, size: "thumbnail" });
    expect(renderCount).toBe(before);
    expect(second).toEqual(first);
    expect((await stat(second.filePath)).mtimeMs).toBe(mtimeMs);
  });

  it("renders once for many concurrent requests of the same page, and leaves no temporary files", async () => {
    const other = buildTextPdf({ pages: [["Concurrency page one."], ["Concurrency page two."]] });
    const version = await storeOriginal(other, "application/pdf", 2);
    const before = renderCount;
    const previews = await Promise.all(
      Array.from({ length: 6 }, () => pagePreview(dependencies, { version, pageNumber: 1, size: "reading" })),
    );
    expect(renderCount - before).toBe(1);
    expect(new Set(previews.map((preview) => preview.filePath)).size).toBe(1);
    const files = await readdir(path.dirname(previews[0]?.filePath ?? ""));
    expect(files.sort()).toEqual(["1-reading.json", "1-reading.png"]);
  });

  it("refuses a page beyond the version's page count, and a version not indexed yet, as not found", async () => {
    const version = await storeOriginal(pdf, "application/pdf", 2);
    for (const pageNumber of [0, 3, 1.5]) {
      await expect(pagePreview(dependencies, { version, pageNumber, size: "reading" })).rejects.toMatchObject(
        {
          code: "not_found:page_number",
        },
      );
    }
    await expect(
      pagePreview(dependencies, { version: { ...version, pageCount: null }, pageNumber: 1, size: "reading" }),
    ).rejects.toMatchObject({ code: "not_found:page_number" });
  });

  it("says a password-protected PDF has no preview (the password is never stored)", async () => {
    const locked = buildEncryptedPdf({ pages: [["Secret page."]], userPassword: "open sesame" });
    const version = await storeOriginal(locked, "application/pdf", 1);
    await expect(
      pagePreview(dependencies, { version, pageNumber: 1, size: "reading" }),
    ).rejects.toMatchObject({
      code: "unavailable:preview",
      message: "Preview not available for a password-protected document.",
    });
    const previews = path.dirname(
      dependencies.derived.pathOf(version.sha256, { kind: "preview", pageNumber: 1, size: "reading" }),
    );
    expect(await readdir(previews)).toEqual([]);
  });
});

describe("pagePreview of an image document", () => {
  it("resizes the image itself with sharp, EXIF-oriented, its size in the image's pixels", async () => {
    // 1600 × 900 stored sideways (orientation 6): a viewer shows it 900 wide, 1600 high.
    const photo = await sharp({ create: { width: 1600, height: 900, channels: 3, background: "#3366cc" } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const version = await storeOriginal(photo, "image/jpeg", 1);
    const thumbnail = await pagePreview(dependencies, { version, pageNumber: 1, size: "thumbnail" });
    expect(await pngSize(thumbnail.filePath)).toMatchObject({ width: 240, height: 427 });
    expect(thumbnail.geometry).toMatchObject({ width: 900, height: 1600, unit: "px", widthPx: 240 });
  });

  it("never enlarges a small screenshot and has one page only", async () => {
    const screenshot = await sharp({
      create: { width: 300, height: 200, channels: 4, background: "#00000000" },
    })
      .png()
      .toBuffer();
    const version = await storeOriginal(screenshot, "image/png", 1);
    const reading = await pagePreview(dependencies, { version, pageNumber: 1, size: "reading" });
    expect(await pngSize(reading.filePath)).toMatchObject({ width: 300, height: 200 });
    await expect(
      pagePreview(dependencies, { version, pageNumber: 2, size: "reading" }),
    ).rejects.toMatchObject({
      code: "not_found:page_number",
    });
  });

  it("previews an SVG only from the picture ingest kept of it, never by decoding the SVG", async () => {
    const svg = (width: number) =>
      Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="50"></svg>`);
    const withoutPicture = await storeOriginal(svg(80), "image/svg+xml", 1);
    await expect(
      pagePreview(dependencies, { version: withoutPicture, pageNumber: 1, size: "reading" }),
    ).rejects.toMatchObject({ code: "unavailable:preview" });

    const version = await storeOriginal(svg(100), "image/svg+xml", 1);
    await dependencies.derived.ensureDirectories(version.sha256);
    await sharp({ create: { width: 100, height: 50, channels: 3, background: "#ffffff" } })
      .png()
      .toFile(dependencies.derived.pathOf(version.sha256, { kind: "figure", name: "p1-image.png" }));
    const preview = await pagePreview(dependencies, { version, pageNumber: 1, size: "thumbnail" });
    expect(preview.geometry).toMatchObject({ width: 100, height: 50, unit: "px", widthPx: 100 });
  });
});
