import { describe, expect, it } from "vitest";
import { fitPageMessage } from "../../ingest/pdf/fit-page-message";
import { childMessageSchema, type OcrTask } from "../../ingest/pdf/pdf-protocol";
import type { ExtractedPage, PageBlock } from "../../ingest/types";

const box = [10, 10, 100, 100] as const;
const text = (value: string): PageBlock => ({
  kind: "text",
  text: value,
  box: [...box],
  source: "text_layer",
  confidence: null,
});
const page = (blocks: PageBlock[]): ExtractedPage => ({
  pageNumber: 1,
  width: 612,
  height: 792,
  blocks,
  route: "text_layer",
  isUnreadable: false,
});
const isValidMessage = (fitted: { page: ExtractedPage; ocr: OcrTask[] }) =>
  childMessageSchema.safeParse({ type: "page", requestId: 0, ...fitted }).success;

describe("fitPageMessage", () => {
  it("splits a paragraph longer than a message allows at spaces, losing no word", () => {
    const words = Array.from({ length: 12_000 }, (_, index) => `w${index}`);
    const original = page([text(words.join(" "))]);
    expect(isValidMessage({ page: original, ocr: [] })).toBe(false);
    const fitted = fitPageMessage(original, []);
    expect(isValidMessage(fitted)).toBe(true);
    expect(fitted.page.blocks.length).toBeGreaterThan(1);
    expect(fitted.page.blocks.flatMap((block) => block.text.split(" "))).toEqual(words);
  });

  it("turns a table with more columns than allowed into text, and cuts long cells", () => {
    const wide = { ...text("| a | b |"), kind: "table" as const };
    const tooWide = { ...wide, table: { rows: [Array(300).fill("x")], headerRowCount: 1, caption: null } };
    const longCell = { ...wide, table: { rows: [["y".repeat(6000)]], headerRowCount: 0, caption: null } };
    const fitted = fitPageMessage(page([tooWide, longCell]), []);
    expect(isValidMessage(fitted)).toBe(true);
    expect(fitted.page.blocks[0]).toMatchObject({ kind: "text", text: "| a | b |" });
    expect(fitted.page.blocks[0]?.table).toBeUndefined();
    expect(fitted.page.blocks[1]?.table?.rows[0]?.[0]).toHaveLength(5000);
  });

  it("keeps a figure's OCR task pointing at its figure when text before it was split", () => {
    const figure: PageBlock = {
      ...text(""),
      kind: "figure",
      figure: { file: "p1-f1.png", caption: null, widthPx: 10, heightPx: 10 },
    };
    const task: OcrTask = { file: "/work/p1-f1.png", target: 1, region: [...box], scale: 2 };
    const pageTask: OcrTask = { ...task, target: "page" };
    const fitted = fitPageMessage(page([text("z ".repeat(25_000)), figure]), [task, pageTask]);
    const target = fitted.ocr[0]?.target;
    expect(typeof target).toBe("number");
    expect(fitted.page.blocks[target as number]?.kind).toBe("figure");
    expect(fitted.ocr[1]?.target).toBe("page");
  });
});
