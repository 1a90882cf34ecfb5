import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../lib/config";

describe("the vector index configuration (LANCEDB_ANN_*)", () => {
  it("defaults to IVF_PQ from 50,000 chunks, retrained at twice the size, nprobes 20, refine 10, ef 64", () => {
    expect(loadConfig({}).lance.ann).toEqual({
      index: { indexType: "ivf_pq", minRows: 50_000, retrainGrowthFactor: 2 },
      search: { nprobes: 20, refineFactor: 10, ef: 64 },
    });
  });

  it("reads every variable", () => {
    const config = loadConfig({
      LANCEDB_ANN_INDEX: "ivf_hnsw_sq",
      LANCEDB_ANN_MIN_ROWS: "200000",
      LANCEDB_ANN_RETRAIN_GROWTH: "1.5",
      LANCEDB_ANN_NPROBES: "40",
      LANCEDB_ANN_REFINE_FACTOR: "0",
      LANCEDB_ANN_EF: "128",
    });
    expect(config.lance.ann).toEqual({
      index: { indexType: "ivf_hnsw_sq", minRows: 200_000, retrainGrowthFactor: 1.5 },
      search: { nprobes: 40, refineFactor: 0, ef: 128 },
    });
    expect(loadConfig({ LANCEDB_ANN_INDEX: "off" }).lance.ann.index.indexType).toBe("off");
  });

  it.each([
    ["LANCEDB_ANN_INDEX", "hnsw"],
    ["LANCEDB_ANN_MIN_ROWS", "10"],
    ["LANCEDB_ANN_RETRAIN_GROWTH", "1"],
    ["LANCEDB_ANN_NPROBES", "0"],
    ["LANCEDB_ANN_REFINE_FACTOR", "-1"],
    ["LANCEDB_ANN_EF", "many"],
  ])("fails fast naming %s when it is %j", (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(variable);
  });
});
