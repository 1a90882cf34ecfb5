import { describe, expect, it } from "vitest";
import { createRunningTextFilter, isPageNumber } from "../../ingest/layout/running-text";
import type { ExtractedPage } from "../../ingest/types";
import { page, textBlock } from "./layout-fixtures";

/** A page with a running header, body text, a footer "Page n of total" and a bottom page number. */
function reportPage(pageNumber: number, total: number, options: { header?: string } = {}): ExtractedPage {
  return page(pageNumber, [
    textBlock(options.header ?? "ACME Corp. Annual Report 2023", [72, 30, 400, 42]),
    textBlock(`Body text of page ${pageNumber}, different on every page.`, [72, 100, 540, 700]),
    textBlock(`Page ${pageNumber} of ${total}`, [260, 750, 350, 762]),
  ]);
}

function runAll(pages: readonly ExtractedPage[], window?: number): ExtractedPage[] {
  const filter = createRunningTextFilter(window === undefined ? {} : { window });
  return [...pages.flatMap((next) => filter.push(next)), ...filter.flush()];
}

const texts = (pages: readonly ExtractedPage[]) =>
  pages.map((next) => next.blocks.map((block) => block.text));

describe("createRunningTextFilter", () => {
  it("removes a running header and a footer whose page numbers change", () => {
    const pages = Array.from({ length: 6 }, (_, index) => reportPage(index + 1, 6));
    const out = runAll(pages);
    expect(out.map((next) => next.pageNumber)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(texts(out)).toEqual(
      pages.map((next) => [`Body text of page ${next.pageNumber}, different on every page.`]),
    );
  });

  it("keeps text that repeats in the middle of pages and margin text that does not repeat", () => {
    const pages = Array.from({ length: 4 }, (_, index) =>
      page(index + 1, [
        textBlock(index === 0 ? "A title only on the first page" : "Chapter text", [72, 30, 400, 42]),
        textBlock("Repeated body sentence.", [72, 300, 540, 320]),
      ]),
    );
    const out = runAll(pages);
    expect(texts(out)[0]).toEqual(["A title only on the first page", "Repeated body sentence."]);
    expect(texts(out)[2]).toEqual(["Repeated body sentence."]);
  });

  it("removes only the page number from a 1-page document", () => {
    const out = runAll([reportPage(1, 1)]);
    expect(texts(out)).toEqual([
      ["ACME Corp. Annual Report 2023", "Body text of page 1, different on every page."],
    ]);
  });

  it("keeps a header that appears on both pages of a 2-page document", () => {
    const out = runAll([reportPage(1, 2), reportPage(2, 2)]);
    expect(texts(out)).toEqual([
      ["ACME Corp. Annual Report 2023", "Body text of page 1, different on every page."],
      ["ACME Corp. Annual Report 2023", "Body text of page 2, different on every page."],
    ]);
  });

  it("handles headers alternating between odd and even pages", () => {
    const pages = Array.from({ length: 8 }, (_, index) =>
      reportPage(index + 1, 8, { header: index % 2 === 0 ? "Chapter 2. Methods" : "Smith et al." }),
    );
    expect(texts(runAll(pages)).every((blocks) => blocks.length === 1)).toBe(true);
  });

  it("holds at most `window` pages and releases each once its following neighbours are seen", () => {
    const filter = createRunningTextFilter({ window: 5 });
    const released: number[][] = [];
    for (let pageNumber = 1; pageNumber <= 6; pageNumber++) {
      released.push(filter.push(reportPage(pageNumber, 6)).map((next) => next.pageNumber));
    }
    // Two neighbours on each side: page n leaves when page n + 2 arrives.
    expect(released).toEqual([[], [], [1], [2], [3], [4]]);
    expect(filter.flush().map((next) => next.pageNumber)).toEqual([5, 6]);
    expect(filter.flush()).toEqual([]);
  });
});

describe("isPageNumber", () => {
  it.each(["7", "- 7 -", "Page 7", "page 7 of 12", "7 / 12", "vii", "Seite 3"])(
    "%s is a page number",
    (text) => {
      expect(isPageNumber(text)).toBe(true);
    },
  );
  it.each(["7 apples", "Table 3", "2023 Annual Report", "Summary"])("%s is not", (text) => {
    expect(isPageNumber(text)).toBe(false);
  });
});
