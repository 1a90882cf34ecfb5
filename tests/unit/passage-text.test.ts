import { describe, expect, it } from "vitest";
import { splitPassage } from "../../app/_components/passage-text";

describe("splitPassage", () => {
  it("finds a Markdown table between a caption and text after it", () => {
    const parts = splitPassage(
      [
        "Table 2: Results by site",
        "",
        "| Site | Visitors | Share |",
        "| --- | ---: | :---: |",
        "| North | 1,200 | 40 % |",
        "| South \\| East | 1,800 | 60 % |",
        "",
        "Totals are rounded.",
      ].join("\n"),
    );
    expect(parts).toEqual([
      { kind: "text", text: "Table 2: Results by site" },
      {
        kind: "table",
        header: ["Site", "Visitors", "Share"],
        rows: [
          ["North", "1,200", "40 %"],
          ["South | East", "1,800", "60 %"],
        ],
      },
      { kind: "text", text: "Totals are rounded." },
    ]);
  });

  it("keeps text with bars but no separator row as text, markup and all", () => {
    const text = "a | b <script>alert(1)</script>\n| not | a table |";
    expect(splitPassage(text)).toEqual([{ kind: "text", text }]);
  });
});
