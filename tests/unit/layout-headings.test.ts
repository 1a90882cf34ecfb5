import { describe, expect, it } from "vitest";
import { analyzePage } from "../../ingest/layout/analyze-page";
import {
  createHeadingStyles,
  createHeadingTracker,
  headingLevelOf,
  isBoldFontName,
  numberingLevel,
} from "../../ingest/layout/headings";
import type { PageBlock } from "../../ingest/types";
import { letterPage, page, paragraph, run, textBlock } from "./layout-fixtures";

describe("numberingLevel", () => {
  it.each([
    ["1 Introduction", 1],
    ["2. Related work", 1],
    ["1.2 Data", 2],
    ["2.3.1 Training details", 3],
    ["A. Proofs", 1],
    ["A.2 More proofs", 2],
    ["Chapter 3 The Return", 1],
    ["PART II", 1],
    ["IV. RESULTS", 1],
    ["Introduction", null],
    ["2019 was a good year", null],
    ["A Study of Things", null],
  ])("%s → %s", (text, level) => {
    expect(numberingLevel(text)).toBe(level);
  });
});

describe("headingLevelOf", () => {
  const body = 10;
  const block = (text: string, fontSize = 10, lineCount = 1) => ({ text, fontSize, lineCount });

  it("ranks unnumbered headings by size relative to the body", () => {
    expect(headingLevelOf(block("Annual Report", 20), body)).toBe(1);
    expect(headingLevelOf(block("Overview", 14), body)).toBe(2);
    expect(headingLevelOf(block("Details", 12), body)).toBe(3);
    expect(headingLevelOf(block("Just body text", 10), body)).toBeNull();
  });

  it("takes the level of a numbered heading from its numbering, even at body size", () => {
    expect(headingLevelOf(block("2.3.1 Training details", 10), body)).toBe(3);
    expect(headingLevelOf(block("3 Method", 16), body)).toBe(1);
  });

  it("rejects sentences, long blocks, lowercase starts and table-of-contents lines", () => {
    expect(headingLevelOf(block("This is a sentence.", 14), body)).toBeNull();
    expect(headingLevelOf(block("continued from before", 14), body)).toBeNull();
    expect(headingLevelOf(block("Big", 14, 3), body)).toBeNull();
    expect(headingLevelOf(block("2 Method .......... 14", 10), body)).toBeNull();
    expect(headingLevelOf(block("3 months ended June 30", 10), body)).toBeNull();
    expect(headingLevelOf(block("These effects include stall warnings and", 12), body)).toBeNull();
    expect(
      headingLevelOf(block("1.5 Million users were counted in the survey of this year", 10), body),
    ).toBeNull();
  });
});

describe("analyzePage headings", () => {
  it("marks a larger-font line as a heading with a level", () => {
    const blocks = analyzePage(
      [
        run("Results", 72, 100, { fontSize: 16 }),
        ...paragraph(["The results are good and they are", "described here in some detail."], 72, 120),
      ],
      letterPage,
    );
    expect(blocks.map((block) => [block.kind, block.headingLevel])).toEqual([
      ["heading", 1],
      ["text", undefined],
    ]);
  });

  it("splits a numbered body-size heading off the paragraph it runs into", () => {
    const blocks = analyzePage(
      paragraph(
        [
          "2.1 Data sets",
          "We use three data sets that are all public and",
          "well known in the field of retrieval.",
        ],
        72,
        100,
      ),
      letterPage,
    );
    expect(blocks.map((block) => [block.kind, block.text, block.headingLevel])).toEqual([
      ["heading", "2.1 Data sets", 2],
      [
        "text",
        "We use three data sets that are all public and well known in the field of retrieval.",
        undefined,
      ],
    ]);
  });
});

describe("createHeadingStyles", () => {
  it("gives an unnumbered heading the level of numbered headings set alike, on later pages too", () => {
    const styles = createHeadingStyles();
    const body = paragraph(
      ["Body text of the page that is long enough", "to set the body size of the page."],
      72,
      130,
    );
    const first = analyzePage([run("1 Introduction", 72, 100, { fontSize: 12 }), ...body], letterPage, [], {
      headingStyles: styles,
    });
    const later = analyzePage([run("References", 72, 100, { fontSize: 12 }), ...body], letterPage, [], {
      headingStyles: styles,
    });
    expect(first[0]?.headingLevel).toBe(1);
    // By size alone (1.2× the body) it would be level 3.
    expect(
      analyzePage([run("References", 72, 100, { fontSize: 12 }), ...body], letterPage)[0]?.headingLevel,
    ).toBe(3);
    expect(later[0]?.headingLevel).toBe(1);
  });
});

describe("bold headings", () => {
  it.each([
    ["TACTGM+NimbusRomNo9L-Medi", true],
    ["Helvetica-Bold", true],
    ["Arial,Bold", true],
    ["Inter-SemiBold", true],
    ["Roboto-Black", true],
    ["KUYGUP+NimbusRomNo9L-Regu", false],
    ["Roboto-Medium", false],
    ["CMR10", false],
  ])("isBoldFontName(%s) is %s", (name, bold) => {
    expect(isBoldFontName(name)).toBe(bold);
  });

  it("makes a bold body-size line a level-4 heading when the caller knows the bold fonts", () => {
    const items = [
      { ...run("Forward-looking statements", 72, 100), fontName: "bold" },
      ...paragraph(
        ["This release contains statements about the", "future that may not come true at all."],
        72,
        112,
      ),
    ];
    expect(analyzePage(items, letterPage).map((block) => block.kind)).toEqual(["text"]);
    const blocks = analyzePage(items, letterPage, [], { boldFonts: new Set(["bold"]) });
    expect(blocks.map((block) => [block.kind, block.headingLevel])).toEqual([
      ["heading", 4],
      ["text", undefined],
    ]);
  });
});

describe("createHeadingTracker", () => {
  const heading = (text: string, level: number): PageBlock => ({
    ...textBlock(text, [72, 100, 300, 116], "heading"),
    headingLevel: level,
  });
  const body = (text: string) => textBlock(text, [72, 120, 500, 200]);

  it("gives every block the path of open headings, across pages, closing same-or-deeper levels", () => {
    const tracker = createHeadingTracker();
    const first = tracker.assign(
      page(1, [
        body("Preface text."),
        heading("1 Introduction", 1),
        body("Intro."),
        heading("1.1 Scope", 2),
        body("Scope."),
      ]),
    );
    const second = tracker.assign(page(2, [body("More scope."), heading("2 Method", 1), body("Method.")]));
    expect(first.blocks.map((block) => block.headingPath)).toEqual([
      [],
      ["1 Introduction"],
      ["1 Introduction"],
      ["1 Introduction", "1.1 Scope"],
      ["1 Introduction", "1.1 Scope"],
    ]);
    expect(second.blocks.map((block) => block.headingPath)).toEqual([
      ["1 Introduction", "1.1 Scope"],
      ["2 Method"],
      ["2 Method"],
    ]);
  });
});
