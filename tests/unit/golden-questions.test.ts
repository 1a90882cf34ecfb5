import { describe, expect, it } from "vitest";
import type { GoldenOutcome } from "../../db/schema";
import { ConfigError, loadConfig } from "../../lib/config";
import { compareGoldenRuns, isRecallAlert } from "../../lib/golden/evaluate-golden-questions";

function outcome(
  questionId: string,
  rank: number | null,
  changes: Partial<GoldenOutcome> = {},
): GoldenOutcome {
  return {
    questionId,
    questionSha256: `sha-${questionId}`,
    expectedDocumentId: `document-${questionId}`,
    expectedPage: null,
    rank,
    chunkId: null,
    versionId: null,
    pageNumber: null,
    box: null,
    ...changes,
  };
}

describe("compareGoldenRuns", () => {
  it("counts a question found before and missed now as a drop, and names it", () => {
    const change = compareGoldenRuns(
      [outcome("a", 1), outcome("b", 2), outcome("c", null)],
      [outcome("a", 1), outcome("b", null), outcome("c", 3)],
      5,
    );
    expect(change).toMatchObject({
      commonCount: 3,
      previousHits: 2,
      currentHits: 2,
      drop: 0,
      lostQuestionIds: ["b"],
    });
    expect(isRecallAlert(change, 0)).toBe(false);
  });

  it("uses the current k for both runs: a rank that slid past k is a drop", () => {
    const change = compareGoldenRuns([outcome("a", 3)], [outcome("a", 7)], 5);
    expect(change).toMatchObject({ drop: 1, lostQuestionIds: ["a"] });
  });

  it("leaves out questions added, deleted or asked differently since the previous run", () => {
    const change = compareGoldenRuns(
      [outcome("kept", 1), outcome("deleted", 1), outcome("edited", 1), outcome("moved", 1)],
      [
        outcome("kept", 1),
        outcome("added", null),
        outcome("edited", null, { questionSha256: "sha-new-text" }),
        outcome("moved", null, { expectedPage: 4 }),
      ],
      5,
    );
    expect(change).toMatchObject({
      commonCount: 1,
      previousHits: 1,
      currentHits: 1,
      drop: 0,
      lostQuestionIds: [],
    });
    expect(isRecallAlert(change, 0)).toBe(false);
  });

  it.each([
    [0, 0.25, true],
    [0.2, 0.25, true],
    [0.25, 0.25, false],
    [0.5, 0.25, false],
  ])("with GOLDEN_ALERT_DROP=%d, a drop of %d alerts: %s", (threshold, drop, expected) => {
    const previous = [1, 2, 3, 4].map((index) => outcome(String(index), 1));
    const lost = Math.round(drop * 4);
    const current = previous.map((earlier, index) => ({ ...earlier, rank: index < lost ? null : 1 }));
    expect(isRecallAlert(compareGoldenRuns(previous, current, 5), threshold)).toBe(expected);
  });

  it("never alerts when recall rose", () => {
    expect(isRecallAlert(compareGoldenRuns([outcome("a", null)], [outcome("a", 1)], 5), 0)).toBe(false);
  });
});

describe("golden configuration", () => {
  it("measures recall@5 and @20 and alerts on any drop by default", () => {
    expect(loadConfig({}).golden).toEqual({ k: 5, depth: 20, alertDrop: 0, debounceSeconds: 15 });
  });

  it("never retrieves fewer passages than k", () => {
    expect(loadConfig({ GOLDEN_K: "30", GOLDEN_DEPTH: "10" }).golden).toMatchObject({ k: 30, depth: 30 });
  });

  it.each([
    ["GOLDEN_K", "0"],
    ["GOLDEN_K", "500"],
    ["GOLDEN_ALERT_DROP", "1.5"],
    ["GOLDEN_DEBOUNCE_SECONDS", "-1"],
  ])("fails fast naming %s when it is %j", (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(variable);
  });
});
