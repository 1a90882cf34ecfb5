import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOcrEngine } from "../../ingest/ocr/ocr-pool";
import type { OcrEngine } from "../../ingest/ocr/types";
import type { ImageMediaType } from "../../ingest/stages/detect-media-type";
import { extractImage } from "../../ingest/stages/extract-image";
import type { ExtractedPage } from "../../ingest/types";
import {
  bmpFile,
  corruptJpeg,
  pngClaimingSize,
  renderText,
  textSvg,
  tiffFile,
} from "../fixtures/builders/images";
import { corpusDir } from "../support/corpus";

const limits = { maxImagePixels: 50_000_000, maxPages: 2000 };
const figureName = /^[a-z0-9][a-z0-9-]{0,80}\.png$/;

let engine: OcrEngine;
let directory: string;
let fileCount = 0;

beforeAll(async () => {
  engine = await createOcrEngine({ languages: ["eng"], workers: 1 });
  directory = await mkdtemp(path.join(tmpdir(), "folio-extract-image-"));
});
afterAll(async () => {
  await engine.dispose();
  await rm(directory, { recursive: true, force: true });
});

async function extractBytes(bytes: Buffer | string, mediaType: ImageMediaType) {
  fileCount += 1;
  const filePath = path.join(directory, `input-${fileCount}`);
  const figureDirectory = path.join(directory, `figures-${fileCount}`);
  await writeFile(filePath, bytes);
  await import("node:fs/promises").then((fs) => fs.mkdir(figureDirectory));
  const document = await extractImage({ filePath, mediaType, figureDirectory }, { ocr: engine, limits });
  const pages: ExtractedPage[] = [];
  for await (const page of document.pages) pages.push(page);
  return { document, pages, figureDirectory };
}

const textOf = (page: ExtractedPage | undefined) =>
  (page?.blocks ?? [])
    .filter((block) => block.kind === "text")
    .map((block) => block.text)
    .join(" ");

describe("extractImage: raster formats", () => {
  let grey: Buffer;
  let png: Buffer;
  const width = 640;
  const height = 160;
  beforeAll(async () => {
    ({ png, grey } = await renderText(width, height, [
      { text: "Invoice 4711 paid", x: 30, y: 95, fontSize: 48 },
    ]));
  });

  it.each([
    ["image/png", () => sharp(png).png().toBuffer()],
    ["image/jpeg", () => sharp(png).jpeg({ quality: 90 }).toBuffer()],
    ["image/webp", () => sharp(png).webp({ quality: 90 }).toBuffer()],
    ["image/gif", () => sharp(png).gif().toBuffer()],
    ["image/tiff", () => sharp(png).tiff().toBuffer()],
    [
      "image/bmp",
      async () =>
        bmpFile({
          width,
          height,
          bitsPerPixel: 24,
          pixel: (x, y) => {
            const value = grey[y * width + x] ?? 255;
            return [value, value, value];
          },
        }),
    ],
  ] as const)("reads %s as one OCR page with a figure of the whole image", async (mediaType, build) => {
    const { document, pages, figureDirectory } = await extractBytes(await build(), mediaType);
    expect(document.pageCount).toBe(1);
    const [page] = pages;
    expect(page).toMatchObject({ pageNumber: 1, width, height, route: "ocr", isUnreadable: false });
    expect(textOf(page)).toBe("Invoice 4711 paid");
    const text = page?.blocks.find((block) => block.kind === "text");
    expect(text).toMatchObject({ source: "ocr", confidence: expect.any(Number) });
    expect(text?.box[0]).toBeGreaterThanOrEqual(28);
    expect(text?.box[0]).toBeLessThan(45);
    const figure = page?.blocks[0];
    expect(figure).toMatchObject({
      kind: "figure",
      text: "Invoice 4711 paid",
      box: [0, 0, width, height],
      figure: { caption: null, widthPx: width, heightPx: height },
    });
    expect(figure?.figure?.file).toMatch(figureName);
    expect(await readdir(figureDirectory)).toEqual([figure?.figure?.file]);
    const written = await sharp(path.join(figureDirectory, figure?.figure?.file ?? "")).metadata();
    expect(written).toMatchObject({ format: "png", width, height });
  });

  it("reads every page of a multi-page TIFF", async () => {
    const words = ["Alpha", "Bravo", "Charlie"];
    const tiffPages = await Promise.all(
      words.map(async (word) => {
        const { grey: pixels } = await renderText(400, 120, [
          { text: `${word} page`, x: 20, y: 75, fontSize: 40 },
        ]);
        return { width: 400, height: 120, grey: pixels };
      }),
    );
    const { document, pages, figureDirectory } = await extractBytes(tiffFile(tiffPages), "image/tiff");
    expect(document.pageCount).toBe(3);
    expect(pages.map((page) => [page.pageNumber, textOf(page)])).toEqual([
      [1, "Alpha page"],
      [2, "Bravo page"],
      [3, "Charlie page"],
    ]);
    expect((await readdir(figureDirectory)).sort()).toEqual(["p1-image.png", "p2-image.png", "p3-image.png"]);
  });

  it("applies EXIF orientation and caps the figure's longest side at 2048 px", async () => {
    const wide = await sharp({ create: { width: 3000, height: 1200, channels: 3, background: "#ffffff" } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const { pages } = await extractBytes(wide, "image/jpeg");
    expect(pages[0]).toMatchObject({ width: 1200, height: 3000 });
    expect(pages[0]?.blocks).toHaveLength(1);
    expect(pages[0]?.blocks[0]?.figure).toMatchObject({ widthPx: 819, heightPx: 2048 });
  });
});

describe("extractImage: hostile images", () => {
  it("refuses a 100,000 × 100,000 PNG from its header, before decoding", async () => {
    const started = performance.now();
    await expect(extractBytes(pngClaimingSize(100_000, 100_000), "image/png")).rejects.toMatchObject({
      code: "invalid:image_too_large",
      message: expect.stringContaining("100000 × 100000"),
    });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("refuses a BMP whose header claims more pixels than allowed", async () => {
    const bomb = bmpFile({ width: 8, height: 8, bitsPerPixel: 8, pixel: () => [0, 0, 0] });
    bomb.writeInt32LE(-60_000, 22); // top-down, 8 × 60,000 rows declared; the file holds 8
    await expect(extractBytes(bomb, "image/bmp")).rejects.toMatchObject({ code: "invalid:image_malformed" });
  });

  it("refuses a TIFF with thousands of pages before reading any", async () => {
    const onePixel = { width: 1, height: 1, grey: Buffer.from([255]) };
    const started = performance.now();
    await expect(extractBytes(tiffFile(Array(5000).fill(onePixel)), "image/tiff")).rejects.toMatchObject({
      code: "invalid:image_too_many_pages",
    });
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("fails a corrupt JPEG and a truncated PNG as image_malformed", async () => {
    await expect(extractBytes(await corruptJpeg(), "image/jpeg")).rejects.toMatchObject({
      code: "invalid:image_malformed",
    });
    const { png } = await renderText(200, 60, [{ text: "cut", x: 10, y: 40, fontSize: 30 }]);
    await expect(extractBytes(png.subarray(0, 60), "image/png")).rejects.toMatchObject({
      code: "invalid:image_malformed",
    });
  });
});

describe("extractImage: SVG", () => {
  let server: Server;
  let requests: string[];
  let origin: string;
  beforeAll(async () => {
    requests = [];
    server = createServer((request, response) => {
      requests.push(request.url ?? "");
      response.writeHead(200, { "content-type": "image/png" }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("reads its text, renders it, and never fetches or reads what it references", async () => {
    const red = path.join(directory, "red.png");
    await sharp({ create: { width: 50, height: 50, channels: 3, background: "#ff0000" } })
      .png()
      .toFile(red);
    const references = `
      <script>fetch("${origin}/script")</script>
      <image href="${origin}/x.png" x="0" y="0" width="400" height="100"/>
      <image href="file://${red}" x="0" y="0" width="400" height="100"/>
      <image href="${red}" x="0" y="0" width="400" height="100"/>
      <image href="file:///etc/passwd" width="10" height="10"/>
      <use href="${origin}/sprite.svg#icon"/>
      <style>@import url("${origin}/style.css"); rect.bg { fill: url(${origin}/fill.svg) }</style>
      <rect class="bg" width="10" height="10" style="fill: url('${origin}/style-fill')"/>
      <foreignObject width="400" height="100"><img xmlns="http://www.w3.org/1999/xhtml" src="${origin}/html.png"/></foreignObject>`;
    const label = "Pipeline overview of ingestion";
    const svg = textSvg(600, 100, [{ text: label, x: 10, y: 60, fontSize: 30 }], references);
    const { document, pages, figureDirectory } = await extractBytes(svg, "image/svg+xml");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(requests).toEqual([]);

    expect(document.pageCount).toBe(1);
    const [page] = pages;
    // Enough text of its own: no OCR; rendered at 1024 px on its longest side.
    expect(page).toMatchObject({ route: "text_layer", width: 1024 });
    expect(page?.blocks.map((block) => [block.kind, block.text, block.source])).toEqual([
      ["figure", label, "text_layer"],
      ["text", label, "text_layer"],
    ]);
    // The local red image was not drawn: the render has no red pixel.
    const file = page?.blocks[0]?.figure?.file ?? "";
    const { data, info } = await sharp(path.join(figureDirectory, file))
      .flatten({ background: "#ffffff" })
      .raw()
      .toBuffer({ resolveWithObject: true });
    let redPixels = 0;
    for (let at = 0; at < data.length; at += info.channels) {
      if ((data[at] ?? 0) > 200 && (data[at + 1] ?? 0) < 80 && (data[at + 2] ?? 0) < 80) redPixels += 1;
    }
    expect(redPixels).toBe(0);
  });

  it("reads outlined text by OCR of the render", async () => {
    const { png } = await renderText(500, 120, [{ text: "Outlined heading", x: 20, y: 75, fontSize: 44 }]);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="500" height="120"><image href="data:image/png;base64,${png.toString("base64")}" width="500" height="120"/></svg>`;
    const { pages } = await extractBytes(svg, "image/svg+xml");
    expect(pages[0]?.route).toBe("ocr");
    expect(textOf(pages[0])).toBe("Outlined heading");
  });

  it.skipIf(!existsSync(path.join(corpusDir, "images", "drawio-diagrams")))(
    "reads draw.io labels once each, without their fallbacks",
    async () => {
      const filePath = path.join(corpusDir, "images", "drawio-diagrams", "flowchart.drawio.svg");
      const figureDirectory = await mkdtemp(path.join(directory, "drawio-"));
      const document = await extractImage(
        { filePath, mediaType: "image/svg+xml", figureDirectory },
        { ocr: engine, limits },
      );
      const pages: ExtractedPage[] = [];
      for await (const page of document.pages) pages.push(page);
      const labels = pages[0]?.blocks.filter((block) => block.kind === "text").map((block) => block.text);
      expect(labels).toEqual(
        expect.arrayContaining(["Lamp doesn't work", "Lamp plugged in?", "Repair Lamp"]),
      );
      expect(labels?.join(" ")).not.toMatch(/Text is not SVG|\.\.\./);
    },
  );
});
