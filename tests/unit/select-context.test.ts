import { describe, expect, it } from "vitest";
import { type ContextReader, selectContext } from "../../lib/answer/select-context";
import type { RetrievedPassage } from "../../lib/retrieval/retrieve-context";

/** Two documents of passages; each passage costs its `cost` tokens (in its text's length). */
function passage(
  versionId: string,
  chunkIndex: number,
  cost: number,
  headingPath: string[] = [],
): RetrievedPassage {
  return {
    chunkId: `${versionId}-${chunkIndex}`,
    documentId: `doc-${versionId}`,
    versionId,
    documentTitle: versionId,
    pageNumber: chunkIndex + 1,
    pageLabel: null,
    box: null,
    kind: "text",
    text: "x".repeat(cost),
    contentHash: "h",
    score: 0,
    figureFile: null,
    chunkIndex,
    headingPath,
  };
}

const documents: Record<string, RetrievedPassage[]> = {
  a: [
    passage("a", 0, 10, ["Intro"]),
    passage("a", 1, 10, ["Risks"]),
    passage("a", 2, 10, ["Risks"]),
    passage("a", 3, 10, ["Risks"]),
  ],
  b: [passage("b", 0, 20), passage("b", 1, 20)],
};

const reader: ContextReader = {
  wholeDocument: async (versionId) => documents[versionId] ?? null,
  passagesAt: async (versionId, indexes) =>
    (documents[versionId] ?? []).filter((candidate) => indexes.includes(candidate.chunkIndex)),
};
const costOf = async (candidate: RetrievedPassage) => candidate.text.length;
const ids = (passages: RetrievedPassage[]) => passages.map((candidate) => candidate.chunkId);

describe("selectContext", () => {
  it("sends every document a hit comes from whole, best document first, each in page order, when all fit", async () => {
    const selected = await selectContext({
      ranked: [documents.b?.[1], documents.a?.[2]] as RetrievedPassage[],
      budgetTokens: 80,
      costOf,
      reader,
    });
    expect(selected.mode).toBe("whole_documents");
    expect(ids(selected.passages)).toEqual(["b-0", "b-1", "a-0", "a-1", "a-2", "a-3"]);
  });

  it("one token over: the hits, then their neighbours in the same section, each beside its hit", async () => {
    const selected = await selectContext({
      ranked: [documents.b?.[1], documents.a?.[2]] as RetrievedPassage[],
      budgetTokens: 79,
      costOf,
      reader,
    });
    expect(selected.mode).toBe("passages_with_neighbours");
    // b-1 (20) + a-2 (10) = 30; then b-0 (20) = 50, a-1 (10) = 60, a-3 (10) = 70; 79 leaves no more.
    expect(ids(selected.passages)).toEqual(["b-0", "b-1", "a-1", "a-2", "a-3"]);
  });

  it("takes no neighbour from another section, and none that would overflow", async () => {
    const selected = await selectContext({
      ranked: [documents.a?.[1]] as RetrievedPassage[],
      budgetTokens: 15,
      costOf,
      reader: { ...reader, wholeDocument: async () => null },
    });
    // a-0 is under "Intro", a-2 would pass the budget.
    expect(ids(selected.passages)).toEqual(["a-1"]);
  });

  it("skips a hit that does not fit and keeps filling with the next", async () => {
    const selected = await selectContext({
      ranked: [documents.b?.[0], documents.a?.[0]] as RetrievedPassage[],
      budgetTokens: 12,
      costOf,
      reader: { ...reader, wholeDocument: async () => null },
    });
    expect(ids(selected.passages)).toEqual(["a-0"]);
  });
});
