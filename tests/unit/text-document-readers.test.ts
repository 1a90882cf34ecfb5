import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { chunkPages } from "../../ingest/stages/chunk-pages";
import { decodeText } from "../../ingest/text/decode-text";
import { htmlToBlocks } from "../../ingest/text/html-blocks";
import { markdownToBlocks } from "../../ingest/text/markdown-blocks";
import { blockSeparator, paginateBlocks } from "../../ingest/text/paginate-blocks";
import { readTextDocument, textDocumentPages } from "../../ingest/text/read-text-document";

const encode = (text: string) => new TextEncoder().encode(text);
const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;

const handbook = `---
title: "Staff handbook"
---
# Staff handbook

Welcome &amp; thanks for *reading*.

## Leave

Everyone gets **25 days** of [paid leave](https://example.com/leave).

### Carry-over

Up to 5 days carry over to the next year.

| Grade | Days |
|---|---:|
| A &lt; B | 25 |
| C \\| D | 30 |

## Expenses

- Trains: second class
  - First class over 4 hours
- Hotels: up to 150 EUR

<div>Raw <b>HTML</b> block<script>alert(1)</script></div>
`;

describe("markdownToBlocks", () => {
  it("keeps headings with their levels, tables as Markdown, lists and paragraphs as text", () => {
    const { title, blocks } = markdownToBlocks(handbook);
    expect(title).toBe("Staff handbook");
    expect(blocks.map((block) => [block.kind, block.headingLevel ?? null, block.text])).toEqual([
      ["heading", 1, "Staff handbook"],
      ["text", null, "Welcome & thanks for reading."],
      ["heading", 2, "Leave"],
      ["text", null, "Everyone gets 25 days of paid leave."],
      ["heading", 3, "Carry-over"],
      ["text", null, "Up to 5 days carry over to the next year."],
      ["table", null, "| Grade | Days |\n| --- | --- |\n| A < B | 25 |\n| C \\| D | 30 |"],
      ["heading", 2, "Expenses"],
      ["text", null, "- Trains: second class"],
      ["text", null, "  - First class over 4 hours"],
      ["text", null, "- Hotels: up to 150 EUR"],
      ["text", null, "Raw HTML block"],
    ]);
    expect(blocks[6]?.table).toEqual({
      rows: [
        ["Grade", "Days"],
        ["A < B", "25"],
        ["C | D", "30"],
      ],
      headerRowCount: 1,
      caption: null,
    });
  });

  it("keeps code blocks verbatim and does not decode entities inside them twice", () => {
    const { blocks } = markdownToBlocks("```\nif (a &amp;&amp; b) {\n  x();\n}\n```\n\nUse `a &lt; b`.");
    expect(blocks.map((block) => block.text)).toEqual(["if (a &amp;&amp; b) {\n  x();\n}", "Use a &lt; b."]);
  });
});

describe("Markdown through pages and the chunker", () => {
  it("puts the heading path on every chunk and a section label on every page", () => {
    const { pages } = textDocumentPages(encode(handbook), "text/markdown");
    // The title (the only level-1 heading) does not start pages; every level-2 section does.
    expect(pages.map((page) => page.label)).toEqual(["Staff handbook", "Leave", "Expenses"]);
    const chunks = chunkPages(pages, countWords, { maxTokens: 64 });
    const table = chunks.find((chunk) => chunk.kind === "table");
    expect(table).toMatchObject({ pageNumber: 2, headingPath: ["Staff handbook", "Leave", "Carry-over"] });
    const expenses = chunks.find((chunk) => chunk.text.includes("Hotels"));
    expect(expenses?.headingPath).toEqual(["Staff handbook", "Expenses"]);
  });

  it("gives each block a box that is its span of the page's text", () => {
    const { pages } = textDocumentPages(encode(handbook), "text/markdown");
    const page = pages[1];
    const pageText = page?.blocks.map((block) => block.text).join(blockSeparator) ?? "";
    expect(page?.height).toBe(pageText.length);
    for (const block of page?.blocks ?? []) {
      expect(pageText.slice(block.box[1], block.box[3])).toBe(block.text);
    }
  });
});

describe("paginateBlocks", () => {
  it("keeps a title with the first section rather than on a page alone, labelled by the section", () => {
    const { pages } = textDocumentPages(
      encode("# Handbook\n\n## Leave\n\nTwenty days.\n\n## Expenses\n\nTrains."),
      "text/markdown",
    );
    expect(pages.map((page) => [page.label, page.blocks.map((block) => block.text)])).toEqual([
      ["Leave", ["Handbook", "Leave", "Twenty days."]],
      ["Expenses", ["Expenses", "Trains."]],
    ]);
  });

  it("splits a long section into pages labelled as its continuation, and text without headings into parts", () => {
    const paragraph = (index: number) => ({
      kind: "text" as const,
      text: `Paragraph ${index} ${"word ".repeat(60)}`,
    });
    const pages = paginateBlocks(
      [
        ...Array.from({ length: 3 }, (_, index) => paragraph(index)),
        { kind: "heading", text: "Results", headingLevel: 2 },
        ...Array.from({ length: 6 }, (_, index) => paragraph(index + 3)),
      ],
      { maxPageCharacters: 700 },
    );
    expect(pages.map((page) => page.label)).toEqual([
      "Part 1",
      "Part 2",
      "Results",
      "Results (continued)",
      "Results (continued)",
    ]);
    for (const page of pages) expect(page.height).toBeLessThanOrEqual(700);
  });

  it("reads an over-long heading as a paragraph and keeps labels to one short line", () => {
    const pages = paginateBlocks([
      { kind: "heading", text: `${"Long ".repeat(70)}heading`, headingLevel: 2 },
      { kind: "text", text: "Body." },
      { kind: "heading", text: `Quite\nlong ${"section ".repeat(20)}title`, headingLevel: 2 },
      { kind: "text", text: "More." },
    ]);
    expect(pages.map((page) => page.blocks[0]?.kind)).toEqual(["text", "heading"]);
    expect(pages[0]?.label).toBe("Part 1");
    expect(pages[1]?.label).toHaveLength(120);
    expect(pages[1]?.label).toMatch(/^Quite long section section .*…$/);
  });

  it("cuts a single paragraph longer than a page at line ends", () => {
    const lines = Array.from({ length: 400 }, (_, index) => `log line ${index}`).join("\n");
    const pages = paginateBlocks([{ kind: "text", text: lines }], { maxPageCharacters: 1000 });
    expect(pages.length).toBeGreaterThan(4);
    expect(pages.flatMap((page) => page.blocks.map((block) => block.text)).join("\n")).toBe(lines);
  });
});

describe("plain text", () => {
  it("reads paragraphs separated by blank lines, keeping line breaks inside them", () => {
    const { pages } = textDocumentPages(
      encode("First line\nsecond line\n\n\n  \nNext paragraph.\r\n"),
      "text/plain",
    );
    expect(pages).toHaveLength(1);
    expect(pages[0]?.blocks.map((block) => block.text)).toEqual([
      "First line\nsecond line",
      "Next paragraph.",
    ]);
  });

  it.each([
    ["plain text", "text/plain", (run: string) => `a${run}a\nb \t\n`],
    ["an HTML <pre>", "text/html", (run: string) => `<pre>a${run}a\nb \t</pre>`],
    ["a Markdown code block", "text/markdown", (run: string) => `\`\`\`\na${run}a\nb \t\n\`\`\`\n`],
  ] as const)(
    "trims line ends of %s in linear time (a trailing-space regex was quadratic in a run of spaces: 40 KB took 2.8 s, 256 KiB two minutes)",
    (_, mediaType, textOf) => {
      const run = " \t".repeat(100_000);
      const started = performance.now();
      const { pages } = textDocumentPages(encode(textOf(run)), mediaType);
      expect(performance.now() - started).toBeLessThan(1_000);
      const texts = pages.flatMap((page) => page.blocks.map((block) => block.text));
      // Compared as summaries: a failing diff of 200 KB strings takes vitest longer than the bug.
      expect(texts.join("").replace(/\s+/g, "")).toBe("aab");
      expect(texts.every((text) => !/[ \t]\n/.test(text) && text === text.trimEnd())).toBe(true);
    },
  );
});

describe("decodeText", () => {
  it("reads UTF-8 with and without a BOM, and UTF-16 with its BOM", () => {
    expect(decodeText(encode("\uFEFFcafé"))).toBe("café");
    expect(decodeText(encode("naïve"))).toBe("naïve");
    const utf16le = new Uint8Array([0xff, 0xfe, ...[..."été"].flatMap((c) => [c.charCodeAt(0), 0])]);
    expect(decodeText(utf16le)).toBe("été");
    const utf16be = new Uint8Array([0xfe, 0xff, ...[..."été"].flatMap((c) => [0, c.charCodeAt(0)])]);
    expect(decodeText(utf16be)).toBe("été");
  });

  it('reads Windows-1252 (older editors\' "ANSI"), with its curly quotes and euro sign', () => {
    const ansi = Uint8Array.from(
      [..."Cr\xe8me br\xfbl\xe9e: 5 \x80, \x93tr\xe8s bien\x94"].map((c) => c.charCodeAt(0)),
    );
    expect(decodeText(ansi)).toBe("Crème brûlée: 5 €, “très bien”");
    // Short words can be dense with accents: still read, not mistaken for another script.
    expect(decodeText(Uint8Array.from([..."\xc9l\xe8ve \xe0 c\xf4t\xe9"].map((c) => c.charCodeAt(0))))).toBe(
      "Élève à côté",
    );
  });

  it("keeps UTF-8 with a stray broken byte as UTF-8, the byte replaced", () => {
    const text = new Uint8Array([...encode("naïve café "), 0xff, ...encode(" déjà vu")]);
    expect(decodeText(text)).toBe("naïve café \uFFFD déjà vu");
  });

  it.each([
    [
      "Cyrillic in Windows-1251",
      Uint8Array.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2, 0x20, 0xec, 0xe8, 0xf0]),
    ],
    ["binary junk with NULs", new Uint8Array(Array.from({ length: 256 }, (_, index) => index))],
  ])("refuses %s with invalid:text_encoding", (_name, bytes) => {
    expect(() => decodeText(bytes)).toThrow(expect.objectContaining({ code: "invalid:text_encoding" }));
  });
});

describe("readTextDocument", () => {
  it("refuses a file with nothing but markup as having no text", async () => {
    const directory = await mkdtemp(path.join(tmpdir(), "folio-text-"));
    try {
      const file = path.join(directory, "empty.html");
      await writeFile(file, "<!DOCTYPE html><html><head><script>x()</script></head><body>  </body></html>");
      await expect(readTextDocument({ filePath: file, mediaType: "text/html" })).rejects.toMatchObject({
        code: "invalid:no_text",
      });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe("htmlToBlocks", () => {
  it("reads headings, paragraphs, lists and tables; drops scripts, styles and other non-text; decodes entities", () => {
    const { title, blocks } = htmlToBlocks(`<!DOCTYPE html>
<html><head><title>Q3 &mdash; report</title><style>p { color: red }</style>
<script>document.write("<p>injected</p>")</script></head>
<body>
<noscript>Enable JavaScript</noscript>
<h1>Quarterly&nbsp;report</h1>
<p>Revenue rose&hellip; <b>12&#37;</b> to &euro;4.2m.<br>Costs were flat.</p>
<template><p>hidden template</p></template>
<iframe src="https://example.com/tracker"></iframe>
<h2>By region</h2>
<table><caption>Table 1 Revenue</caption>
<thead><tr><th>Region</th><th>Q3</th></tr></thead>
<tbody><tr><td>EMEA</td><td>1.2</td></tr><tr><td>APAC &amp; ANZ</td><td>3.0</td></tr></tbody></table>
<ol start="3"><li>Third</li><li>Fourth</li></ol>
<pre>  indented
    code</pre>
<div hidden>secret</div>
</body></html>`);
    expect(title).toBe("Q3 — report");
    expect(blocks.map((block) => [block.kind, block.headingLevel ?? null, block.text])).toEqual([
      ["heading", 1, "Quarterly report"],
      ["text", null, "Revenue rose… 12% to €4.2m.\nCosts were flat."],
      ["heading", 2, "By region"],
      [
        "table",
        null,
        "Table 1 Revenue\n\n| Region | Q3 |\n| --- | --- |\n| EMEA | 1.2 |\n| APAC & ANZ | 3.0 |",
      ],
      ["text", null, "3. Third"],
      ["text", null, "4. Fourth"],
      ["text", null, "  indented\n    code"],
    ]);
    expect(JSON.stringify(blocks)).not.toMatch(/injected|color|Enable JavaScript|hidden template|secret/);
  });

  it("reads a page nested 20,000 elements deep without overflowing the stack", () => {
    const depth = 20_000;
    const { blocks } = htmlToBlocks(
      `<body>${"<div>".repeat(depth)}deep text${"</div>".repeat(depth)}</body>`,
    );
    expect(blocks.map((block) => block.text)).toEqual(["deep text"]);
  });

  it("refuses, in bounded time, a page whose misnested formatting the parser would rebuild for every paragraph", () => {
    // Each `<p>x</p>` makes the WHATWG parser reopen every formatting element still "active":
    // 4,000 `<b>`s with distinct attributes and 4,000 paragraphs (75 KB) are 16 M elements,
    // 4.5 GB and a minute of the web server's event loop (in-process worker).
    const bombs = 4_000;
    let html = "<!DOCTYPE html><body><p>";
    for (let index = 0; index < bombs; index++) html += `<b id=${index}>`;
    html += `</p>${"<p>x</p>".repeat(bombs)}`;
    const started = performance.now();
    expect(() => htmlToBlocks(html)).toThrow(expect.objectContaining({ code: "invalid:text_too_complex" }));
    expect(() => markdownToBlocks(`<div>\n${html}\n</div>\n`)).toThrow(
      expect.objectContaining({ code: "invalid:text_too_complex" }),
    );
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("still reads ordinary misnested formatting, which the parser reopens a few times", () => {
    const { blocks } = htmlToBlocks("<p><b>bold <i>both</p><p>still bold</b> plain</p>");
    expect(blocks.map((block) => block.text)).toEqual(["bold both", "still bold plain"]);
  });
});

describe("labels and heading paths", () => {
  it("drop bidirectional overrides and controls, which would make a label read as another document's name", () => {
    const { pages } = textDocumentPages(
      new TextEncoder().encode("## Salary \u202Elmth.lortnoc-RH\u202C\u200B\n\nPaid on Friday.\n"),
      "text/markdown",
    );
    expect(pages[0]?.label).toBe("Salary lmth.lortnoc-RH");
    expect(pages[0]?.blocks[1]?.headingPath).toEqual(["Salary lmth.lortnoc-RH"]);
  });
});

describe("Markdown nested deeper than the stack", () => {
  it.each([
    ["quotes", "> ".repeat(20_000)],
    ["list items", "- ".repeat(20_000)],
  ])("refuses %s nested 20,000 deep with a typed reason", (_, prefix) => {
    expect(() => textDocumentPages(new TextEncoder().encode(`${prefix}x`), "text/markdown")).toThrow(
      expect.objectContaining({ code: "invalid:text_too_complex" }),
    );
  });
});
