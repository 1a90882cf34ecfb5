import { describe, expect, it } from "vitest";
import { fullTextTokens } from "../../lib/evaluation/full-text-tokens";

describe("fullTextTokens", () => {
  it("splits, lower-cases, stems, drops stop words and folds accents as LanceDB's English index does", () => {
    expect(
      fullTextTokens("The runners were RUNNING to the Café; IL-6 levels (p<0.05)", { language: "English" }),
    ).toEqual(["runner", "were", "run", "cafe", "il", "6", "level", "p", "0", "05"]);
  });

  it("drops tokens of 40 bytes or more", () => {
    expect(fullTextTokens(`${"a".repeat(40)} ${"b".repeat(39)}`, { language: "English" })).toEqual([
      "b".repeat(39),
    ]);
  });

  it("keeps every word as written without a language", () => {
    expect(fullTextTokens("The runners", { language: "none" })).toEqual(["the", "runners"]);
  });
});
