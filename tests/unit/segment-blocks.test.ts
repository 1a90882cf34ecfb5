import { describe, expect, it } from "vitest";
import { joinLineTexts, segmentBlocks } from "../../ingest/stages/segment-blocks";
import type { TextItem } from "../../ingest/types";

/**
 * A run of text whose baseline starts at (x, baselineY) in top-left page points, with a box like
 * pdf.js items get: 0.8 em above the baseline, 0.2 em below, 0.5 em per character.
 */
function run(
  text: string,
  x: number,
  baselineY: number,
  options: { fontSize?: number; width?: number; hasEndOfLine?: boolean; height?: number } = {},
): TextItem {
  const fontSize = options.fontSize ?? 10;
  const width = options.width ?? text.length * 0.5 * fontSize;
  const top = options.height === undefined ? baselineY - 0.8 * fontSize : baselineY - options.height;
  return {
    text,
    box: [x, top, x + width, baselineY + 0.2 * fontSize],
    fontName: "f1",
    fontSize,
    hasEndOfLine: options.hasEndOfLine ?? true,
  };
}

/** One item per line, lines `leading` apart, starting at `firstBaselineY`. */
function paragraph(lines: string[], x: number, firstBaselineY: number, leading = 12): TextItem[] {
  return lines.map((line, index) => run(line, x, firstBaselineY + index * leading));
}

const texts = (items: TextItem[]) => segmentBlocks(items).map((block) => block.text);

describe("segmentBlocks", () => {
  it.each<{ name: string; items: TextItem[]; expected: string[] }>([
    { name: "returns no blocks for no items", items: [], expected: [] },
    {
      name: "joins the lines of a paragraph and splits paragraphs at a larger vertical gap",
      items: [
        ...paragraph(["The first paragraph has", "two lines."], 72, 100),
        ...paragraph(["The second one", "has two as well."], 72, 148),
      ],
      expected: ["The first paragraph has two lines.", "The second one has two as well."],
    },
    {
      name: "keeps paragraphs of one-line lines apart when every gap is a paragraph gap",
      items: [run("One.", 72, 100), run("Two.", 72, 130), run("Three.", 72, 160)],
      expected: ["One.", "Two.", "Three."],
    },
    {
      name: "inserts a space at a word gap and none inside a word split into two runs",
      items: [
        run("Hel", 72, 100, { width: 15, hasEndOfLine: false }),
        run("lo", 87, 100, { width: 10, hasEndOfLine: false }),
        run("world", 100, 100, { width: 25 }),
      ],
      expected: ["Hello world"],
    },
    {
      name: "does not double a space a run already carries",
      items: [
        run("Hello ", 72, 100, { width: 30, hasEndOfLine: false }),
        run("world", 102, 100, { width: 25 }),
      ],
      expected: ["Hello world"],
    },
    {
      name: "removes a line-end hyphen when the next line starts in lowercase",
      items: paragraph(["Words are some-", "times hyphenated."], 72, 100),
      expected: ["Words are sometimes hyphenated."],
    },
    {
      name: "keeps a line-end hyphen, without a space, before an uppercase continuation",
      items: paragraph(["The VM is called Trace-", "Monkey in Firefox."], 72, 100),
      expected: ["The VM is called Trace-Monkey in Firefox."],
    },
    {
      name: "starts a new block where the font size changes",
      items: [
        run("A Heading", 72, 100, { fontSize: 16 }),
        ...paragraph(["Body text right under", "the heading."], 72, 114),
      ],
      expected: ["A Heading", "Body text right under the heading."],
    },
    {
      name: "starts a new paragraph at an indented line after a short line",
      items: [
        run("A paragraph that fills the whole", 72, 100),
        run("line and then ends.", 72, 112),
        run("An indented new paragraph", 92, 124),
        run("continues here.", 72, 136),
      ],
      expected: [
        "A paragraph that fills the whole line and then ends.",
        "An indented new paragraph continues here.",
      ],
    },
    {
      name: "keeps a raised footnote mark in its line",
      items: [
        run("As shown", 72, 100, { width: 40, hasEndOfLine: false }),
        run("1", 112, 97, { fontSize: 6, width: 3, hasEndOfLine: false }),
        run("before.", 118, 100, { width: 35 }),
      ],
      expected: ["As shown1 before."],
    },
    {
      name: "drops a run drawn twice for fake bold",
      items: [run("Bold", 72, 100, { hasEndOfLine: false }), run("Bold", 72.3, 100)],
      expected: ["Bold"],
    },
    {
      name: "keeps rotated margin text out of the lines it crosses",
      items: [
        run("arXiv:2401.00001", 20, 400, { width: 10, height: 300 }),
        ...paragraph(["Body text of the", "first column."], 72, 200),
      ],
      // The stamp starts higher on the page, so it comes first.
      expected: ["arXiv:2401.00001", "Body text of the first column."],
    },
    {
      name: "reads right-to-left runs from the right",
      items: [
        run("שלום", 200, 100, { width: 40, hasEndOfLine: false }),
        run("עולם", 157, 100, { width: 40 }),
      ],
      expected: ["שלום עולם"],
    },
  ])("$name", ({ items, expected }) => {
    expect(texts(items)).toEqual(expected);
  });

  it("reads a two-column page title first, then the left column, then the right one", () => {
    const left = [
      ...paragraph(["Left column first", "paragraph, line two."], 72, 150),
      ...paragraph(["Left column second", "paragraph, line two."], 72, 200),
    ];
    const right = [
      ...paragraph(["Right column first", "paragraph, line two."], 320, 150),
      ...paragraph(["Right column second", "paragraph, line two."], 320, 200),
    ];
    const title = run("A Title Across Both Columns Of The Page", 72, 100, { fontSize: 18, width: 450 });
    // Drawn right column first, bottom-up: drawing order must not decide the reading order.
    const items = [...right.reverse(), ...left.reverse(), title];

    expect(texts(items)).toEqual([
      "A Title Across Both Columns Of The Page",
      "Left column first paragraph, line two.",
      "Left column second paragraph, line two.",
      "Right column first paragraph, line two.",
      "Right column second paragraph, line two.",
    ]);
  });

  it("keeps the lines of two columns apart even when they share baselines", () => {
    // The gutter is 1 em wide, like the Federal Register's.
    const items = [
      ...paragraph(["aaaa aaaa", "bbbb bbbb", "cccc cccc"], 72, 100),
      ...paragraph(["xxxx xxxx", "yyyy yyyy", "zzzz zzzz"], 127, 100),
    ];
    expect(texts(items)).toEqual(["aaaa aaaa bbbb bbbb cccc cccc", "xxxx xxxx yyyy yyyy zzzz zzzz"]);
  });

  it("gives each block the union box of its lines, its line count and its font size", () => {
    const [block] = segmentBlocks(paragraph(["First line", "Second line is longer"], 72, 100));
    expect(block?.lineCount).toBe(2);
    expect(block?.box).toEqual([72, 92, 72 + 21 * 5, 114]);
    expect(block?.fontSize).toBe(10);
  });

  it("reads three columns left to right, each top to bottom", () => {
    const column = (name: string, x: number) => [
      ...paragraph([`${name} one first`, `${name} one second`], x, 100),
      ...paragraph([`${name} two first`, `${name} two second`], x, 150),
    ];
    const items = [...column("Right", 420), ...column("Middle", 246), ...column("Left", 72)];
    expect(texts(items)).toEqual([
      "Left one first Left one second",
      "Left two first Left two second",
      "Middle one first Middle one second",
      "Middle two first Middle two second",
      "Right one first Right one second",
      "Right two first Right two second",
    ]);
  });

  it("joins a word hyphenated across a column's lines while keeping columns apart", () => {
    const items = [
      ...paragraph(["Left column with a hyphen-", "ated word inside it."], 72, 100),
      ...paragraph(["Right column with", "nothing special here."], 320, 100),
      ...paragraph(["Left again to make", "two blocks per side."], 72, 150),
      ...paragraph(["Right again to make", "two blocks per side."], 320, 150),
    ];
    expect(texts(items)[0]).toBe("Left column with a hyphenated word inside it.");
    expect(texts(items)[2]).toBe("Right column with nothing special here.");
  });
});

describe("joinLineTexts", () => {
  it.each([
    { lines: ["a soft\u00ad", "hyphen"], expected: "a softhyphen" },
    { lines: ["pages 10-", "20"], expected: "pages 10-20" },
    { lines: ["a dash -", "then more"], expected: "a dash - then more" },
    { lines: ["plain", "lines"], expected: "plain lines" },
  ])("joins $lines as '$expected'", ({ lines, expected }) => {
    expect(joinLineTexts(lines)).toBe(expected);
  });
});
