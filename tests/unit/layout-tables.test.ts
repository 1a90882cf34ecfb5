import { describe, expect, it } from "vitest";
import { analyzePage } from "../../ingest/layout/analyze-page";
import { findTables, mayHoldTable } from "../../ingest/layout/find-tables";
import type { TextItem } from "../../ingest/types";
import { letterPage, paragraph, run, runRight } from "./layout-fixtures";

/** Region (left-aligned) and three right-aligned number columns, a header and `rows` body rows. */
function salesTable(top: number, body: readonly (readonly string[])[]): TextItem[] {
  const rights = [250, 330, 410];
  const row = (cells: readonly string[], baseline: number) => [
    run(cells[0] ?? "", 72, baseline, { hasEndOfLine: false }),
    ...cells.slice(1).map((cell, column) => runRight(cell, rights[column] ?? 0, baseline)),
  ];
  return [
    ...row(["Region", "2021", "2022", "Change"], top),
    ...body.flatMap((cells, index) => row(cells, top + 14 * (index + 1))),
  ];
}

const body = [
  ["North", "1,204", "1,310", "8.8%"],
  ["South", "980", "1,002", "2.2%"],
  ["East", "1,530", "1,495", "-2.3%"],
];

describe("findTables (alignment)", () => {
  it("finds a table of aligned columns with its header row", () => {
    const tables = findTables(salesTable(200, body), letterPage);
    expect(tables).toHaveLength(1);
    expect(tables[0]?.rows).toEqual([["Region", "2021", "2022", "Change"], ...body]);
    expect(tables[0]?.headerRowCount).toBe(1);
    expect(tables[0]?.method).toBe("alignment");
  });

  it("never puts cells of two rows on one line, whatever the drawing order", () => {
    // Drawn column by column, the second row 1.5 pt lower in the number columns (as some
    // producers do), without end-of-line marks: line chaining by drawing order would interleave.
    const items = salesTable(200, body);
    const byColumn = [...items].sort((a, b) => a.box[0] - b.box[0] || a.box[1] - b.box[1]);
    const shifted = byColumn.map((item) =>
      item.text === "1,002" || item.text === "2.2%"
        ? {
            ...item,
            box: [item.box[0], item.box[1] + 1.5, item.box[2], item.box[3] + 1.5] as const,
            hasEndOfLine: false,
          }
        : { ...item, hasEndOfLine: false },
    );
    const [table] = findTables(shifted, letterPage);
    expect(table?.rows).toEqual([["Region", "2021", "2022", "Change"], ...body]);
  });

  it("joins a wrapped first-column cell into its row, but not a short label line", () => {
    const rights = [250, 330, 410];
    const row = (cells: readonly string[], baseline: number) => [
      run(cells[0] ?? "", 72, baseline, { hasEndOfLine: false }),
      ...cells.slice(1).map((cell, column) => runRight(cell, rights[column] ?? 0, baseline)),
    ];
    const items = [
      ...row(["Region", "2021", "2022", "Change"], 200),
      ...row(["Northern Highlands and", "1,204", "1,310", "8.8%"], 214),
      run("Islands", 72, 224), // tight under a line that filled its column: a wrap
      ...row(["South", "980", "1,002", "2.2%"], 240),
      run("Other areas:", 72, 250), // tight under a short line: a label of its own
      ...row(["East", "1,530", "1,495", "-2.3%"], 266),
    ];
    const [table] = findTables(items, letterPage);
    expect(table?.rows).toEqual([
      ["Region", "2021", "2022", "Change"],
      ["Northern Highlands and Islands", "1,204", "1,310", "8.8%"],
      ["South", "980", "1,002", "2.2%"],
      ["Other areas:", "", "", ""],
      ["East", "1,530", "1,495", "-2.3%"],
    ]);
  });

  it("merges a multi-line header above numeric rows into one header row", () => {
    const items = [
      run("Net", 220, 186, { hasEndOfLine: false }),
      run("Gross", 300, 186, { hasEndOfLine: false }),
      ...salesTable(198, body),
    ];
    const [table] = findTables(items, letterPage);
    expect(table?.headerRowCount).toBe(1);
    expect(table?.rows[0]).toEqual(["Region", "Net 2021", "Gross 2022", "Change"]);
  });

  it("finds no table in running text or in two columns of prose", () => {
    const prose = paragraph(
      [
        "Tables are found by the alignment of",
        "their cells, and a paragraph of running",
        "text has no aligned gaps between words",
        "so that it never looks like a table.",
      ],
      72,
      100,
    );
    const right = paragraph(
      [
        "A second column of the same page is",
        "set beside the first one, with a gutter",
        "between them that lines up perfectly",
        "down the whole height of the column.",
      ],
      300,
      100,
    );
    expect(findTables([...prose, ...right], letterPage)).toEqual([]);
  });

  it("needs three columns: a two-column list is not a table", () => {
    const items = ["Alpha", "Beta", "Gamma", "Delta"].flatMap((name, index) => [
      run(name, 72, 100 + 14 * index, { hasEndOfLine: false }),
      run(`${index + 1}`, 200, 100 + 14 * index),
    ]);
    expect(findTables(items, letterPage)).toEqual([]);
  });
});

describe("mayHoldTable", () => {
  it("says yes for rows of several short cells and no for a page of prose", () => {
    expect(mayHoldTable(salesTable(200, body))).toBe(true);
    expect(mayHoldTable(paragraph(["Just a paragraph of text", "over two lines."], 72, 100))).toBe(false);
  });
});

describe("findTables (rulings)", () => {
  it("reads a ruled grid, two columns being enough, assigning text by cell", () => {
    const items = [
      run("Name", 80, 115, { hasEndOfLine: false }),
      run("Value", 210, 115),
      run("alpha", 80, 135, { hasEndOfLine: false }),
      run("one", 210, 135),
      run("beta", 80, 155, { hasEndOfLine: false }),
      run("two", 210, 155),
      run("Outside the table.", 72, 300),
    ];
    const horizontal = (y: number) => ({ x0: 72, y0: y, x1: 300, y1: y });
    const vertical = (x: number) => ({ x0: x, y0: 100, x1: x, y1: 160 });
    const rulings = [
      horizontal(100),
      horizontal(120),
      horizontal(140),
      horizontal(160),
      vertical(72),
      vertical(200),
      vertical(300),
    ];
    const tables = findTables(items, letterPage, rulings);
    expect(tables).toHaveLength(1);
    expect(tables[0]?.method).toBe("rulings");
    expect(tables[0]?.rows).toEqual([
      ["Name", "Value"],
      ["alpha", "one"],
      ["beta", "two"],
    ]);
    expect(tables[0]?.box).toEqual([72, 100, 300, 160]);
    expect(tables[0]?.itemIndexes).not.toContain(6);
  });

  it("takes a plain frame for a box, not a table", () => {
    const items = paragraph(["Boxed text", "in a frame"], 80, 120);
    const rulings = [
      { x0: 72, y0: 100, x1: 300, y1: 100 },
      { x0: 72, y0: 160, x1: 300, y1: 160 },
      { x0: 72, y0: 100, x1: 72, y1: 160 },
      { x0: 300, y0: 100, x1: 300, y1: 160 },
    ];
    expect(findTables(items, letterPage, rulings)).toEqual([]);
  });
});

describe("analyzePage with tables", () => {
  it("emits the table once, as Markdown with its caption, between the text blocks", () => {
    const items = [
      ...paragraph(["Sales grew in most regions last year."], 72, 120),
      run("Table 2: Sales by region", 72, 170),
      ...salesTable(200, [...body, ["West | Coast", "10", "12", "20.0%"]]),
      ...paragraph(["The east lost a little ground."], 72, 320),
    ];
    const blocks = analyzePage(items, letterPage);
    expect(blocks.map((block) => block.kind)).toEqual(["text", "table", "text"]);
    const table = blocks[1];
    expect(table?.table?.caption).toBe("Table 2: Sales by region");
    expect(table?.text).toBe(
      [
        "Table 2: Sales by region",
        "",
        "| Region | 2021 | 2022 | Change |",
        "| --- | --- | --- | --- |",
        "| North | 1,204 | 1,310 | 8.8% |",
        "| South | 980 | 1,002 | 2.2% |",
        "| East | 1,530 | 1,495 | -2.3% |",
        "| West \\| Coast | 10 | 12 | 20.0% |",
      ].join("\n"),
    );
    expect(table?.source).toBe("text_layer");
    expect(table?.confidence).toBeNull();
    const otherText = blocks
      .filter((block) => block.kind !== "table")
      .map((block) => block.text)
      .join(" ");
    expect(otherText).not.toMatch(/1,204|Region|Table 2/);
  });
});
