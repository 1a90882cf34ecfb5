import { describe, expect, it } from "vitest";
import { citedTableRows, pageTextParts } from "../../lib/domain/page-text";

const spanOf = (text: string, part: { start: number; end: number }) => text.slice(part.start, part.end);

describe("pageTextParts", () => {
  it("cuts a page into its running text and its Markdown tables, in page-text offsets", () => {
    const text = [
      "Revenue",
      "",
      "| Region | Q1 |",
      "| --- | --- |",
      "| North | 1,200 |",
      "| South \\| East | 7 |",
      "",
      "Figures are unaudited.",
    ].join("\n");
    const parts = pageTextParts(text);
    expect(parts.map((part) => part.kind)).toEqual(["text", "table", "text"]);
    const [before, table, after] = parts;
    expect(spanOf(text, before ?? { start: 0, end: 0 })).toBe("Revenue");
    expect(spanOf(text, after ?? { start: 0, end: 0 })).toBe("Figures are unaudited.");
    if (table?.kind !== "table") throw new Error("no table");
    expect(table.header.cells).toEqual(["Region", "Q1"]);
    expect(table.rows.map((row) => row.cells)).toEqual([
      ["North", "1,200"],
      ["South | East", "7"],
    ]);
    expect(spanOf(text, table.rows[0] ?? table)).toBe("| North | 1,200 |");
    expect(spanOf(text, table)).toBe(text.slice(text.indexOf("| Region"), text.indexOf("\n\nFigures")));
  });

  it("keeps pipes that do not make a table as text, and a page of text whole", () => {
    const text = "| not a table |\nno separator line follows\n\nplain text";
    expect(pageTextParts(text)).toEqual([{ kind: "text", start: 0, end: text.length }]);
    expect(pageTextParts("")).toEqual([]);
  });

  it("reads a sheet of tables one after another", () => {
    const table = "| A | B |\n| --- | --- |\n| 1 | 2 |";
    const text = `Sheet\n\n${table}\n\n${table}`;
    const parts = pageTextParts(text);
    expect(parts.map((part) => part.kind)).toEqual(["text", "table", "table"]);
    expect(parts.slice(1).map((part) => spanOf(text, part))).toEqual([table, table]);
  });
});

describe("citedTableRows", () => {
  const header = "| Year | Revenue |\n| --- | --- |";
  const body = Array.from({ length: 6 }, (_, index) => `| ${2000 + index} | ${index} |`);
  const text = `Revenue\n\n${header}\n${body.join("\n")}`;
  const [, table] = pageTextParts(text);
  if (table?.kind !== "table") throw new Error("no table");
  const wholeTable: [number, number] = [table.start, table.end];

  it("marks the rows of the part a passage holds, not the whole table its box covers", () => {
    const part = `${header}\n${body.slice(3, 5).join("\n")}`;
    expect(citedTableRows(text, table, wholeTable, part)).toEqual({
      header: true,
      rows: [false, false, false, true, true, false],
    });
  });

  it("marks every row in range when the passage's lines are not the table's", () => {
    expect(citedTableRows(text, table, wholeTable, "a summary of the table").rows.every(Boolean)).toBe(true);
    expect(citedTableRows(text, table, null, undefined)).toEqual({
      header: false,
      rows: Array(6).fill(false),
    });
  });
});
