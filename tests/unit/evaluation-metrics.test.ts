import { describe, expect, it } from "vitest";
import { ndcgAtK, recallAtK, reciprocalRankAtK, scoreRanking } from "../../lib/evaluation/metrics";

const judgments = new Map([
  ["d1", 2],
  ["d2", 1],
  ["d3", 0],
  ["d4", 1],
]);

describe("ndcgAtK", () => {
  it("matches a hand computation with graded judgments", () => {
    // DCG@3 of [d3, d1, d2] = 0/log2(2) + 2/log2(3) + 1/log2(4) = 1.261860 + 0.5 = 1.761860
    // IDCG@3 from grades [2, 1, 1] = 2/1 + 1/log2(3) + 1/2 = 3.130930
    expect(ndcgAtK(["d3", "d1", "d2"], judgments, 3)).toBeCloseTo(1.76186 / 3.13093, 5);
    expect(ndcgAtK(["d1", "d2", "d4"], judgments, 3)).toBeCloseTo(1, 10);
    expect(ndcgAtK(["x", "y"], judgments, 10)).toBe(0);
  });

  it("counts only the first k documents, and a document listed twice once", () => {
    // k=1: only d2 (grade 1) of an ideal 2.
    expect(ndcgAtK(["d2", "d1"], judgments, 1)).toBeCloseTo(0.5, 10);
    expect(ndcgAtK(["d1", "d1", "d2"], judgments, 2)).toBeCloseTo(
      (2 + 1 / Math.log2(3)) / (2 + 1 / Math.log2(3)),
      10,
    );
  });
});

describe("recallAtK", () => {
  it("is the share of relevant documents (grade > 0) among the first k", () => {
    expect(recallAtK(["d1", "d3", "x", "d4"], judgments, 4)).toBeCloseTo(2 / 3, 10);
    expect(recallAtK(["d1", "d3", "x", "d4"], judgments, 2)).toBeCloseTo(1 / 3, 10);
  });
});

describe("reciprocalRankAtK", () => {
  it("is 1/rank of the first relevant document, 0 beyond k", () => {
    expect(reciprocalRankAtK(["d3", "x", "d4"], judgments, 10)).toBeCloseTo(1 / 3, 10);
    expect(reciprocalRankAtK(["d3", "x", "d4"], judgments, 2)).toBe(0);
  });
});

describe("scoreRanking", () => {
  it("averages over the judged queries with a relevant document; an unanswered one scores 0", () => {
    const qrels = new Map([
      ["q1", new Map([["a", 1]])],
      ["q2", new Map([["b", 1]])],
      ["q3", new Map([["c", 0]])],
    ]);
    const run = new Map([["q1", ["z", "a"]]]);
    const scores = scoreRanking(run, qrels);
    expect(scores.queryCount).toBe(2);
    // q1: DCG 1/log2(3), IDCG 1; q2: 0.
    expect(scores.ndcgAt10).toBeCloseTo(1 / Math.log2(3) / 2, 10);
    expect(scores.recallAt100).toBeCloseTo(0.5, 10);
    expect(scores.mrrAt10).toBeCloseTo(0.25, 10);
  });
});
