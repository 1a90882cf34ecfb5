import { describe, expect, it } from "vitest";
import { splitTableMarkdown, tableToMarkdown } from "../../ingest/layout/table-markdown";
import type { TableContent } from "../../ingest/types";

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

const table: TableContent = {
  caption: "Table 1: Results",
  headerRowCount: 1,
  rows: [
    ["Model", "Score"],
    ["a", "1"],
    ["b", "2"],
    ["c", "3"],
    ["d", "4"],
  ],
};

describe("tableToMarkdown", () => {
  it("writes the caption, the header, the separator and the rows", () => {
    expect(tableToMarkdown(table)).toBe(
      "Table 1: Results\n\n| Model | Score |\n| --- | --- |\n| a | 1 |\n| b | 2 |\n| c | 3 |\n| d | 4 |",
    );
  });

  it("escapes pipes and backslashes, flattens newlines and pads short rows", () => {
    const markdown = tableToMarkdown({
      caption: null,
      headerRowCount: 1,
      rows: [["A|B", "C"], ["x\\y", "line\nbreak"], ["only"]],
    });
    expect(markdown).toBe("| A\\|B | C |\n| --- | --- |\n| x\\\\y | line break |\n| only |  |");
  });

  it("merges several header rows per column and gives a headerless table an empty header", () => {
    expect(
      tableToMarkdown({
        caption: null,
        headerRowCount: 2,
        rows: [
          ["", "Sales"],
          ["Year", "EU"],
          ["2020", "5"],
        ],
      }),
    ).toBe("| Year | Sales EU |\n| --- | --- |\n| 2020 | 5 |");
    expect(tableToMarkdown({ caption: null, headerRowCount: 0, rows: [["1", "2"]] })).toBe(
      "|  |  |\n| --- | --- |\n| 1 | 2 |",
    );
  });
});

describe("splitTableMarkdown", () => {
  it("keeps a table that fits whole", () => {
    expect(splitTableMarkdown(table, words, 1000)).toEqual([tableToMarkdown(table)]);
  });

  it("splits only between rows and repeats the caption and header in every part", () => {
    // Frame (caption + header + separator) is 13 words, each row 5: two rows per part.
    const parts = splitTableMarkdown(table, words, 23);
    expect(parts).toEqual([
      "Table 1: Results\n\n| Model | Score |\n| --- | --- |\n| a | 1 |\n| b | 2 |",
      "Table 1: Results\n\n| Model | Score |\n| --- | --- |\n| c | 3 |\n| d | 4 |",
    ]);
    for (const part of parts) expect(words(part)).toBeLessThanOrEqual(23);
  });

  it("gives a row too long for the budget a part of its own rather than cutting it", () => {
    const wide: TableContent = {
      caption: null,
      headerRowCount: 1,
      rows: [["H"], ["a b c d e f g h"], ["i"]],
    };
    expect(splitTableMarkdown(wide, words, 8)).toEqual([
      "| H |\n| --- |\n| a b c d e f g h |",
      "| H |\n| --- |\n| i |",
    ]);
  });
});
