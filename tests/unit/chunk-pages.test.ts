import { describe, expect, it } from "vitest";
import { chunkPages } from "../../ingest/stages/chunk-pages";
import type { ExtractedPage, TextBlock } from "../../ingest/types";

const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;

function page(pageNumber: number, texts: string[]): ExtractedPage {
  const blocks: TextBlock[] = texts.map((text, index) => ({
    text,
    box: [50, 100 + index * 40, 500, 130 + index * 40],
    lineCount: 1,
  }));
  return { pageNumber, width: 612, height: 792, items: [], blocks, isUnreadable: false };
}

describe("chunkPages", () => {
  it("packs paragraphs under the token budget and never spans two pages", () => {
    const chunks = chunkPages(
      [page(1, ["one two three", "four five", "six seven eight nine"]), page(2, ["ten"])],
      countWords,
      {
        maxTokens: 16,
      },
    );
    expect(chunks.map((chunk) => [chunk.pageNumber, chunk.text])).toEqual([
      [1, "one two three\n\nfour five\n\nsix seven eight nine"],
      [2, "ten"],
    ]);
    expect(chunks.map((chunk) => chunk.chunkIndex)).toEqual([0, 1]);
  });

  it("starts a new chunk when the next paragraph would exceed the budget", () => {
    const chunks = chunkPages([page(1, ["a b c d e f g h i j k l m n o p", "q r s"])], countWords, {
      maxTokens: 16,
    });
    expect(chunks.map((chunk) => chunk.text)).toEqual(["a b c d e f g h i j k l m n o p", "q r s"]);
  });

  it("splits an oversized paragraph at sentence ends, then at words", () => {
    const long = `${"word ".repeat(20).trim()}. ${"more ".repeat(40).trim()}.`;
    const chunks = chunkPages([page(3, [long])], countWords, { maxTokens: 16 });
    expect(chunks.every((chunk) => countWords(chunk.text) <= 16)).toBe(true);
    expect(
      chunks
        .map((chunk) => chunk.text)
        .join(" ")
        .split(/\s+/),
    ).toEqual(long.split(/\s+/));
    expect(new Set(chunks.map((chunk) => chunk.pageNumber))).toEqual(new Set([3]));
  });

  it("gives each chunk the union box of its paragraphs", () => {
    const [chunk] = chunkPages([page(1, ["x", "y"])], countWords, { maxTokens: 16 });
    expect(chunk?.box).toEqual([50, 100, 500, 170]);
  });

  it("skips empty pages and blank blocks", () => {
    expect(chunkPages([page(1, []), page(2, ["   "])], countWords)).toEqual([]);
  });
});
