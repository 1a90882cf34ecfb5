import { describe, expect, it } from "vitest";
import { CitationMarkerTracker, findCitationMarkers } from "../../lib/answer/citation-markers";

describe("findCitationMarkers", () => {
  it.each([
    ["plain [1] and [2]", [1, 2]],
    ["grouped [1, 3]", [1, 3]],
    ["adjacent [2][1]", [2, 1]],
    ["repeated [1] then [1]", [1]],
    ["not markers [a] [1.5] [] [ 1 ]", []],
    ["long [12345] is not a marker but [9999] is", [9999]],
  ])("%s", (text, expected) => {
    expect(findCitationMarkers(text)).toEqual(expected);
  });
});

describe("CitationMarkerTracker", () => {
  it("reports a marker split across stream pieces once, when it completes", () => {
    const tracker = new CitationMarkerTracker(3);
    expect(tracker.push("The answer [")).toEqual({ accepted: [], rejected: [] });
    expect(tracker.push("2")).toEqual({ accepted: [], rejected: [] });
    expect(tracker.push("] again [2]")).toEqual({ accepted: [2], rejected: [] });
    expect(tracker.fullText).toBe("The answer [2] again [2]");
  });

  it("rejects markers that name no source, including 0", () => {
    const tracker = new CitationMarkerTracker(2);
    expect(tracker.push("see [1] [0] [3] [2, 7]")).toEqual({ accepted: [1, 2], rejected: [0, 3, 7] });
  });

  it("stays fast on a 50 KB pathological answer", () => {
    const tracker = new CitationMarkerTracker(2);
    const startedAt = performance.now();
    tracker.push(`[${"1,".repeat(25_000)}`);
    expect(performance.now() - startedAt).toBeLessThan(1000);
  });
});
