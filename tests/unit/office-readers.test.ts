import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readOfficeDocument } from "../../ingest/office/read-office-document";
import type { ExtractedPage } from "../../ingest/types";
import { buildDocx, buildPptx, buildXlsx, mediaTypes } from "../fixtures/builders/office";

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-office-"));
});
afterAll(async () => rm(directory, { recursive: true, force: true }));

async function read(name: string, bytes: Uint8Array, mediaType: string) {
  const filePath = path.join(directory, name);
  await writeFile(filePath, bytes);
  return readOfficeDocument({ filePath, mediaType });
}

const blocksOf = (page: ExtractedPage | undefined) =>
  (page?.blocks ?? []).map((block) => ({
    kind: block.kind,
    text: block.text,
    headingPath: block.headingPath,
  }));

describe("readDocx", () => {
  it("keeps headings as heading paths, lists, tables as Markdown, notes and images' alt text, a page per top-level section", async () => {
    const document = await read("report.docx", await buildDocx(), mediaTypes.docx);
    expect(document.title).toBe("Quarterly report");
    expect(document.pages.map((page) => page.label)).toEqual(["Overview", "Outlook", "Notes"]);
    expect(blocksOf(document.pages[0])).toEqual([
      { kind: "heading", text: "Overview", headingPath: ["Overview"] },
      { kind: "text", text: "Revenue grew in every region this quarter.[1]", headingPath: ["Overview"] },
      { kind: "heading", text: "Regional results", headingPath: ["Overview", "Regional results"] },
      {
        kind: "text",
        text: "- North met its target\n  - Fjord office opened\n1. Review the budget\n2. Hire two engineers",
        headingPath: ["Overview", "Regional results"],
      },
      {
        kind: "table",
        text: "| Region | Revenue |\n| --- | --- |\n| North | 1,200 |\n| South | 950 |",
        headingPath: ["Overview", "Regional results"],
      },
    ]);
    expect(document.pages[0]?.blocks[4]?.table?.headerRowCount).toBe(1);
    // The image itself is never read (the converter only sees XML parts); its alt text is kept.
    expect(blocksOf(document.pages[1]).map((block) => block.text)).toEqual([
      "Outlook",
      "The board expects flat demand for marine turbines next year.",
      "[Image: Bar chart of turbine orders]",
    ]);
    expect(blocksOf(document.pages[2])).toContainEqual({
      kind: "text",
      text: "[1] Figures are unaudited.",
      headingPath: ["Notes"],
    });
    expect(document.hasMacros).toBe(false);
  });
});

describe("readPptx", () => {
  it("reads one page per slide: 'Slide N: title', title as heading, tables, text frames, then speaker notes", async () => {
    const deck = await read("deck.pptx", await buildPptx(), mediaTypes.pptx);
    expect(deck.pages.map((page) => [page.pageNumber, page.label])).toEqual([
      [1, "Slide 1: Welcome"],
      [2, "Slide 2: Revenue by region"],
      [3, "Slide 3 (hidden)"],
    ]);
    expect(blocksOf(deck.pages[0])).toEqual([
      { kind: "heading", text: "Welcome", headingPath: ["Welcome"] },
      { kind: "text", text: "Agenda for the quarterly review", headingPath: ["Welcome"] },
      { kind: "heading", text: "Speaker notes", headingPath: ["Welcome", "Speaker notes"] },
      {
        kind: "text",
        text: "Greet the auditors from the harbour office.",
        headingPath: ["Welcome", "Speaker notes"],
      },
    ]);
    expect(blocksOf(deck.pages[1])).toEqual([
      { kind: "heading", text: "Revenue by region", headingPath: ["Revenue by region"] },
      {
        kind: "table",
        text: "| Region | Revenue |\n| --- | --- |\n| North | 1200 |",
        headingPath: ["Revenue by region"],
      },
      { kind: "text", text: "Turbine exports doubled", headingPath: ["Revenue by region"] },
    ]);
    // A slide without a title does not inherit the previous slide's.
    expect(blocksOf(deck.pages[2])).toEqual([{ kind: "text", text: "Backup material", headingPath: [] }]);
  });

  it("follows the presentation's slide order, not the slide files' names", async () => {
    const deck = await read("reversed.pptx", await buildPptx({ reverseOrder: true }), mediaTypes.pptx);
    expect(deck.pages.map((page) => page.label)).toEqual([
      "Slide 1 (hidden)",
      "Slide 2: Revenue by region",
      "Slide 3: Welcome",
    ]);
  });
});

describe("slide labels", () => {
  it("drop bidirectional overrides from a slide title, in the label and the heading path", async () => {
    const { unzipSync, zipSync } = await import("fflate");
    const files = unzipSync(await buildPptx());
    const slide = new TextDecoder().decode(files["ppt/slides/slide1.xml"]);
    files["ppt/slides/slide1.xml"] = new TextEncoder().encode(
      slide.replace(">Welcome<", ">Wel\u202Ecome\u2066<"),
    );
    const deck = await read("bidi.pptx", zipSync(files), mediaTypes.pptx);
    expect(deck.pages[0]?.label).toBe("Slide 1: Welcome");
    expect(deck.pages[0]?.blocks[1]?.headingPath).toEqual(["Welcome"]);
  });
});

describe("readXlsx", () => {
  it("reads a page per sheet with values, cached formula results, dates and formats; hidden sheets marked, empty ones left out", async () => {
    const workbook = await read("book.xlsx", await buildXlsx(), mediaTypes.xlsx);
    expect(workbook.pages.map((page) => page.label)).toEqual([
      "Sheet: Revenue",
      "Sheet: Assumptions (hidden)",
      "Sheet: Ledger",
    ]);
    expect(blocksOf(workbook.pages[0])).toEqual([
      { kind: "heading", text: "Revenue", headingPath: ["Revenue"] },
      {
        kind: "table",
        text: [
          "| Region | Q1 | Q2 | Total | Closed on | Share |",
          "| --- | --- | --- | --- | --- | --- |",
          "| North | 1,200.50 | 1300 | 2500.5 | 2024-03-31 | 12.5% |",
          // 0.1 + 0.2 without float noise; NOW() is its cached value, never evaluated.
          "| South | 0.3 |  | 7 |  |  |",
          "| Audited |  |  |  |  |  |",
        ].join("\n"),
        headingPath: ["Revenue"],
      },
    ]);
    expect(workbook.pages[1]?.blocks[1]?.text).toContain("| Growth | TRUE |");
  });

  it("splits a long sheet into tables of 100 rows, each under the header", async () => {
    const workbook = await read("ledger.xlsx", await buildXlsx({ ledgerRows: 250 }), mediaTypes.xlsx);
    const ledger = workbook.pages.find((page) => page.label === "Sheet: Ledger");
    const tables = (ledger?.blocks ?? []).filter((block) => block.kind === "table");
    expect(tables.map((table) => table.table?.rows.length)).toEqual([101, 101, 51]);
    for (const table of tables) expect(table.text.startsWith("| Entry | Amount |")).toBe(true);
    expect(tables[2]?.text.endsWith("| entry 250 | 250 |")).toBe(true);
  });
});
