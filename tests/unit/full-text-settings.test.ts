import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../lib/config";
import { fullTextIndexName, searchTextOf } from "../../lib/vector-store/full-text-settings";

describe("searchTextOf", () => {
  it("puts the heading path before the text, without repeating a heading the text starts with", () => {
    expect(searchTextOf({ headingPath: ["Part I", "Risks"], text: "Liquidity may fall." })).toBe(
      "Part I › Risks\nLiquidity may fall.",
    );
    expect(searchTextOf({ headingPath: ["Part I", "Risks"], text: "Risks\n\nLiquidity may fall." })).toBe(
      "Part I\nRisks\n\nLiquidity may fall.",
    );
    expect(searchTextOf({ headingPath: [], text: "plain" })).toBe("plain");
  });

  it("starts with the document's title without its file extension, unless a heading or the text already says it", () => {
    expect(searchTextOf({ headingPath: ["Risks"], text: "Liquidity may fall." }, "ACME_2022_10K.pdf")).toBe(
      "ACME_2022_10K\nRisks\nLiquidity may fall.",
    );
    expect(searchTextOf({ headingPath: ["Handbook"], text: "Rules." }, "Handbook")).toBe("Handbook\nRules.");
    expect(searchTextOf({ headingPath: [], text: "Notes\n\nbody" }, "Notes.md")).toBe("Notes\n\nbody");
  });
});

describe("FTS_LANGUAGE", () => {
  it("defaults to English, takes `none` and LanceDB's languages, and names the variable for any other", () => {
    expect(loadConfig({}).lance.fullText).toEqual({ language: "English" });
    expect(loadConfig({ FTS_LANGUAGE: "German" }).lance.fullText).toEqual({ language: "German" });
    expect(loadConfig({ FTS_LANGUAGE: "none" }).lance.fullText).toEqual({ language: "none" });
    // LanceDB aborts the whole process on a language it does not know: refused here instead.
    expect(() => loadConfig({ FTS_LANGUAGE: "Klingon" })).toThrow(ConfigError);
    expect(() => loadConfig({ FTS_LANGUAGE: "Klingon" })).toThrow(/FTS_LANGUAGE/);
  });

  it("gives each language its own index name, so a table indexed for another is rebuilt", () => {
    expect(fullTextIndexName({ language: "English" })).toBe("fts_v2_english");
    expect(fullTextIndexName({ language: "none" })).toBe("fts_v2_none");
  });
});
