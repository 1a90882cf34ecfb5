import { describe, expect, it } from "vitest";
import { chunkPages } from "../../ingest/stages/chunk-pages";
import type { ExtractedPage, PageBlock } from "../../ingest/types";

const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;

function page(pageNumber: number, texts: string[]): ExtractedPage {
  const blocks: PageBlock[] = texts.map((text, index) => ({
    kind: "text",
    text,
    box: [50, 100 + index * 40, 500, 130 + index * 40],
    source: "text_layer",
    confidence: null,
  }));
  return { pageNumber, width: 612, height: 792, blocks, route: "text_layer", isUnreadable: false };
}

describe("chunkPages", () => {
  it("packs paragraphs under the token budget and never spans two pages", () => {
    const chunks = chunkPages(
      [page(1, ["one two three", "four five", "six seven eight nine"]), page(2, ["ten"])],
      countWords,
      {
        maxTokens: 16,
      },
    );
    expect(chunks.map((chunk) => [chunk.pageNumber, chunk.text])).toEqual([
      [1, "one two three\n\nfour five\n\nsix seven eight nine"],
      [2, "ten"],
    ]);
    expect(chunks.map((chunk) => chunk.chunkIndex)).toEqual([0, 1]);
  });

  it("starts a new chunk when the next paragraph would exceed the budget", () => {
    const chunks = chunkPages([page(1, ["a b c d e f g h i j k l m n o p", "q r s"])], countWords, {
      maxTokens: 16,
    });
    expect(chunks.map((chunk) => chunk.text)).toEqual(["a b c d e f g h i j k l m n o p", "q r s"]);
  });

  it("splits an oversized paragraph at sentence ends, then at words", () => {
    const long = `${"word ".repeat(20).trim()}. ${"more ".repeat(40).trim()}.`;
    const chunks = chunkPages([page(3, [long])], countWords, { maxTokens: 16 });
    expect(chunks.every((chunk) => countWords(chunk.text) <= 16)).toBe(true);
    expect(
      chunks
        .map((chunk) => chunk.text)
        .join(" ")
        .split(/\s+/),
    ).toEqual(long.split(/\s+/));
    expect(new Set(chunks.map((chunk) => chunk.pageNumber))).toEqual(new Set([3]));
  });

  it("gives each chunk the union box of its paragraphs", () => {
    const [chunk] = chunkPages([page(1, ["x", "y"])], countWords, { maxTokens: 16 });
    expect(chunk?.box).toEqual([50, 100, 500, 170]);
  });

  it("skips empty pages and blank blocks", () => {
    expect(chunkPages([page(1, []), page(2, ["   "])], countWords)).toEqual([]);
  });

  it("starts a new chunk at a heading, and when the heading path or the source changes", () => {
    const block = (text: string, extra: Partial<PageBlock> = {}): PageBlock => ({
      kind: "text",
      text,
      box: [50, 100, 500, 130],
      source: "text_layer",
      confidence: null,
      headingPath: ["1 Intro"],
      ...extra,
    });
    const chunks = chunkPages(
      [
        {
          pageNumber: 1,
          width: 612,
          height: 792,
          route: "mixed",
          isUnreadable: false,
          blocks: [
            block("1 Intro", { kind: "heading", headingLevel: 1 }),
            block("first words"),
            block("read by ocr", { source: "ocr", confidence: 0.8 }),
            block("2 Next", { kind: "heading", headingLevel: 1, headingPath: ["2 Next"] }),
            block("more words", { headingPath: ["2 Next"] }),
          ],
        },
      ],
      countWords,
      { maxTokens: 64 },
    );
    expect(chunks.map((chunk) => [chunk.text, chunk.source, chunk.confidence, chunk.headingPath])).toEqual([
      ["1 Intro\n\nfirst words", "text_layer", null, ["1 Intro"]],
      ["read by ocr", "ocr", 0.8, ["1 Intro"]],
      ["2 Next\n\nmore words", "text_layer", null, ["2 Next"]],
    ]);
  });

  it("never leaves a heading alone in a chunk: a paragraph too long to sit beside it is cut so its start does", () => {
    const heading: PageBlock = {
      kind: "heading",
      headingLevel: 1,
      text: "Title of the abstract",
      box: [50, 60, 500, 80],
      source: "text_layer",
      confidence: null,
      headingPath: ["Title of the abstract"],
    };
    const sentence = (index: number) => `Sentence number ${index} has exactly seven words.`;
    const paragraph: PageBlock = {
      ...heading,
      kind: "text",
      headingLevel: undefined,
      text: Array.from({ length: 4 }, (_, index) => sentence(index)).join(" "),
      box: [50, 100, 500, 300],
    };
    const chunks = chunkPages(
      [
        {
          pageNumber: 1,
          width: 612,
          height: 792,
          route: "text_layer",
          isUnreadable: false,
          blocks: [heading, paragraph],
        },
      ],
      countWords,
      { maxTokens: 28 },
    );
    // The paragraph alone (28 words) would fit, but not beside the heading's 4: before, the
    // heading was a chunk of its own.
    expect(chunks.map((chunk) => chunk.text)).toEqual([
      `Title of the abstract\n\n${sentence(0)} ${sentence(1)} ${sentence(2)}`,
      sentence(3),
    ]);
    expect(chunks.every((chunk) => countWords(chunk.text) <= 28)).toBe(true);
    expect(chunks.map((chunk) => chunk.headingPath)).toEqual([
      ["Title of the abstract"],
      ["Title of the abstract"],
    ]);
  });

  it("keeps headings in a row with the text under them, and puts the headings above a table at its start", () => {
    const block = (text: string, headingPath: string[], extra: Partial<PageBlock> = {}): PageBlock => ({
      kind: "text",
      text,
      box: [50, 100, 500, 130],
      source: "text_layer",
      confidence: null,
      headingPath,
      ...extra,
    });
    const chunks = chunkPages(
      [
        {
          pageNumber: 1,
          width: 612,
          height: 792,
          route: "text_layer",
          isUnreadable: false,
          blocks: [
            block("Harbour notes", ["Harbour notes"], { kind: "heading", headingLevel: 1 }),
            block("Cranes", ["Harbour notes", "Cranes"], { kind: "heading", headingLevel: 2 }),
            block("Exports leave from quay four.", ["Harbour notes", "Cranes"]),
            block("Revenue by region", ["Revenue by region"], { kind: "heading", headingLevel: 2 }),
            block("", ["Revenue by region"], {
              kind: "table",
              box: [50, 200, 500, 300],
              table: {
                rows: [
                  ["Region", "Revenue"],
                  ["North", "1200"],
                ],
                headerRowCount: 1,
                caption: null,
              },
            }),
          ],
        },
      ],
      countWords,
      { maxTokens: 64 },
    );
    expect(chunks.map((chunk) => [chunk.kind, chunk.text, chunk.headingPath])).toEqual([
      ["text", "Harbour notes\n\nCranes\n\nExports leave from quay four.", ["Harbour notes", "Cranes"]],
      [
        "table",
        "Revenue by region\n\n| Region | Revenue |\n| --- | --- |\n| North | 1200 |",
        ["Revenue by region"],
      ],
    ]);
    expect(chunks[1]?.box).toEqual([50, 100, 500, 300]);
  });

  it("leads a table too big for one chunk with the headings above it: its parts are cut to leave them room", () => {
    const sheet: ExtractedPage = {
      pageNumber: 1,
      width: 612,
      height: 792,
      route: "text_layer",
      isUnreadable: false,
      blocks: [
        {
          kind: "heading",
          headingLevel: 1,
          text: "Quarterly revenue",
          box: [0, 0, 1, 17],
          source: "text_layer",
          confidence: null,
          headingPath: ["Quarterly revenue"],
        },
        {
          kind: "table",
          text: "",
          box: [0, 19, 1, 400],
          source: "text_layer",
          confidence: null,
          headingPath: ["Quarterly revenue"],
          table: {
            rows: [
              ["Year", "Revenue"],
              ...Array.from({ length: 30 }, (_, index) => [`${2000 + index}`, `${index}`]),
            ],
            headerRowCount: 1,
            caption: null,
          },
        },
      ],
    };
    const chunks = chunkPages([sheet], countWords, { maxTokens: 40 });
    expect(chunks.length).toBeGreaterThan(1);
    // No chunk is the heading alone; the first part starts with it, and every part fits.
    expect(chunks.every((chunk) => chunk.kind === "table")).toBe(true);
    expect(chunks[0]?.text.startsWith("Quarterly revenue\n\n| Year | Revenue |")).toBe(true);
    expect(chunks.every((chunk) => countWords(chunk.text) <= 40)).toBe(true);
    expect(chunks.map((chunk) => chunk.text).join("\n")).toContain("| 2029 | 29 |");
  });

  it("keeps a table whole as Markdown, or splits it between rows with the header in every part", () => {
    const rows = [
      ["Year", "Revenue"],
      ...Array.from({ length: 12 }, (_, index) => [`${2000 + index}`, `${index * 10}`]),
    ];
    const table: PageBlock = {
      kind: "table",
      text: "",
      box: [50, 100, 500, 400],
      source: "text_layer",
      confidence: null,
      table: { rows, headerRowCount: 1, caption: "Table 1: Revenue" },
    };
    const page = (maxTokens: number) =>
      chunkPages(
        [
          {
            pageNumber: 2,
            width: 612,
            height: 792,
            route: "text_layer",
            isUnreadable: false,
            blocks: [table],
          },
        ],
        countWords,
        {
          maxTokens,
        },
      );
    const [whole, ...none] = page(256);
    expect(none).toEqual([]);
    expect(whole?.kind).toBe("table");
    expect(whole?.text).toContain("| Year | Revenue |");
    expect(whole?.text).toContain("| 2011 | 110 |");
    const parts = page(40);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(part.kind).toBe("table");
      expect(part.text.startsWith("Table 1: Revenue")).toBe(true);
      expect(part.text).toContain("| Year | Revenue |");
    }
    expect(parts.map((part) => part.text).join("\n")).toContain("| 2011 | 110 |");
  });

  it("makes each figure a chunk of its own, linked to its image", () => {
    const chunks = chunkPages(
      [
        {
          pageNumber: 3,
          width: 612,
          height: 792,
          route: "text_layer",
          isUnreadable: false,
          blocks: [
            { kind: "text", text: "before", box: [50, 50, 500, 60], source: "text_layer", confidence: null },
            {
              kind: "figure",
              text: "Figure 2: Throughput",
              box: [50, 100, 500, 300],
              source: "ocr",
              confidence: 0.9,
              figure: { file: "p3-f1.png", caption: "Figure 2: Throughput", widthPx: 900, heightPx: 400 },
            },
            { kind: "text", text: "after", box: [50, 320, 500, 330], source: "text_layer", confidence: null },
          ],
        },
      ],
      countWords,
    );
    expect(chunks.map((chunk) => [chunk.kind, chunk.text, chunk.figureFile])).toEqual([
      ["text", "before", null],
      ["figure", "Figure 2: Throughput", "p3-f1.png"],
      ["text", "after", null],
    ]);
  });
});
