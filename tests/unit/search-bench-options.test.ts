import { describe, expect, it } from "vitest";
import { parseSearchBenchOptions } from "../../scripts/bench/search-bench-options";

const paths = { corpusDir: "/corpus", cacheDir: "/cache" };

describe("parseSearchBenchOptions", () => {
  it("defaults to 100k and 1M chunks of 384 dimensions, IVF_PQ and HNSW settings", () => {
    expect(parseSearchBenchOptions(new Map(), paths)).toMatchObject({
      sizes: [100_000, 1_000_000],
      dims: 384,
      queries: 100,
      share: 0.1,
      ivfPq: expect.arrayContaining([{ nprobes: 20, refineFactor: 10 }]),
      hnsw: expect.arrayContaining([{ ef: 64, refineFactor: 0 }]),
      cacheDir: "/cache",
    });
  });

  it("reads lists and pairs", () => {
    const options = parseSearchBenchOptions(
      new Map([
        ["sizes", "5000,20000"],
        ["dims", "64"],
        ["ivf-pq", "8:2"],
        ["hnsw", "32:0,64:3"],
      ]),
      paths,
    );
    expect(options).toMatchObject({
      sizes: [5000, 20_000],
      dims: 64,
      ivfPq: [{ nprobes: 8, refineFactor: 2 }],
      hnsw: [
        { ef: 32, refineFactor: 0 },
        { ef: 64, refineFactor: 3 },
      ],
    });
  });

  it.each([
    ["sizes", "100k"],
    ["sizes", "500"],
    ["queries", "0"],
    ["share", "2"],
    ["ivf-pq", "20"],
    ["hnsw", "16:-1"],
  ])("names the problem with --%s %s", (name, value) => {
    expect(parseSearchBenchOptions(new Map([[name, value]]), paths)).toEqual({
      problem: expect.stringContaining(`--${name}`),
    });
  });
});
