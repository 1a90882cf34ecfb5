import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOcrEngine } from "../../ingest/ocr/ocr-pool";
import type { OcrEngine } from "../../ingest/ocr/types";
import { characterErrorRate } from "../../scripts/bench/character-error-rate";
import { renderText } from "../fixtures/builders/images";
import { corpusDir } from "../support/corpus";

const tesseractTest = path.join(corpusDir, "images", "tesseract-test");
const hasTesseractTest = existsSync(tesseractTest);

describe("createOcrEngine", () => {
  let engine: OcrEngine;
  beforeAll(async () => {
    engine = await createOcrEngine({ languages: ["eng"], workers: 2 });
  });
  afterAll(() => engine.dispose());

  it.skipIf(!hasTesseractTest)("reads the tesseract test page with a low character error rate", async () => {
    const image = await readFile(path.join(tesseractTest, "phototest.tif"));
    const reference = await readFile(path.join(tesseractTest, "phototest.txt"), "utf8");
    const result = await engine.recognize(image);
    const text = result.blocks.map((block) => block.text).join("\n");
    expect(result).toMatchObject({ width: 640, height: 480 });
    expect(characterErrorRate(text, reference)).toBeLessThan(0.03);
    expect(result.confidence).toBeGreaterThan(0.85);
  });

  it("puts each word's box where the word was drawn", async () => {
    const { png } = await renderText(800, 300, [
      { text: "Quarterly revenue grew", x: 40, y: 80, fontSize: 32 },
      { text: "Kingfisher 4217", x: 420, y: 220, fontSize: 28, fontFamily: "DejaVu Serif" },
    ]);
    const result = await engine.recognize(png);
    const words = result.blocks.flatMap((block) => block.lines.flatMap((line) => line.words));
    const kingfisher = words.find((word) => word.text === "Kingfisher");
    const quarterly = words.find((word) => word.text === "Quarterly");
    // Left edge at x, baseline at y (the glyphs sit above it, descenders below).
    expect(kingfisher?.box[0]).toBeCloseTo(420, -1);
    expect(kingfisher?.box[1]).toBeGreaterThan(190);
    expect(kingfisher?.box[3]).toBeLessThan(232);
    expect(quarterly?.box[0]).toBeCloseTo(40, -1);
    expect(quarterly?.box[1]).toBeGreaterThan(50);
    expect(quarterly?.box[3]).toBeLessThan(92);
    expect(result.blocks.map((block) => block.text)).toEqual(["Quarterly revenue grew", "Kingfisher 4217"]);
  });

  it("serves concurrent pages from both workers", async () => {
    const pages = await Promise.all(
      ["Alpha invoice", "Bravo receipt", "Charlie ledger"].map(async (text) => {
        const { png } = await renderText(600, 120, [{ text, x: 20, y: 70, fontSize: 36 }]);
        return engine.recognize(png);
      }),
    );
    expect(pages.map((page) => page.blocks[0]?.text)).toEqual([
      "Alpha invoice",
      "Bravo receipt",
      "Charlie ledger",
    ]);
  });

  it("fails a page over its time budget with page_timeout and replaces the worker", async () => {
    const { png } = await renderText(2400, 3000, [
      ...Array.from({ length: 60 }, (_, row) => ({
        text: "lorem ipsum dolor sit amet ".repeat(4),
        x: 40,
        y: 60 + row * 48,
        fontSize: 32,
      })),
    ]);
    await expect(engine.recognize(png, { timeoutMs: 50 })).rejects.toMatchObject({
      code: "invalid:page_timeout",
    });
    const { png: small } = await renderText(400, 100, [
      { text: "Still working", x: 20, y: 60, fontSize: 32 },
    ]);
    const after = await engine.recognize(small);
    expect(after.blocks[0]?.text).toBe("Still working");
  });

  it("fails an image tesseract cannot use as image_malformed", async () => {
    await expect(engine.recognize(Buffer.from("not an image"))).rejects.toMatchObject({
      code: "invalid:image_malformed",
    });
  });
});

describe("OCR languages", () => {
  it("names the npm package to install for a missing language, without downloading", async () => {
    await expect(createOcrEngine({ languages: ["eng", "zzz"] })).rejects.toMatchObject({
      code: "unavailable:ocr_languages",
      message: expect.stringContaining("npm install @tesseract.js-data/zzz"),
    });
  });

  it("refuses a language code that is not one", async () => {
    await expect(createOcrEngine({ languages: ["../eng"] })).rejects.toMatchObject({
      code: "invalid:ocr_languages",
    });
  });
});

describe("engine lifetime", () => {
  const repo = path.resolve(".");
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), "folio-ocr-exit-"));
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it.each([
    ["after dispose", "await engine.dispose();"],
    ["even when never disposed (idle threads do not hold Node)", ""],
  ])("lets Node exit %s", async (_name, ending) => {
    const script = path.join(directory, `exit-${ending === "" ? "idle" : "disposed"}.mts`);
    await writeFile(
      script,
      `import { createOcrEngine } from ${JSON.stringify(path.join(repo, "ingest/ocr/ocr-pool.ts"))};
import { renderText } from ${JSON.stringify(path.join(repo, "tests/fixtures/builders/images.ts"))};
const engine = await createOcrEngine({ languages: ["eng"], workers: 2 });
const { png } = await renderText(300, 80, [{ text: "Goodbye", x: 10, y: 50, fontSize: 30 }]);
const result = await engine.recognize(png);
console.log(result.blocks[0]?.text);
${ending}
`,
    );
    const child = spawnSync(path.join(repo, "node_modules/.bin/tsx"), [script], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    expect(child.stdout).toContain("Goodbye");
  });
});
