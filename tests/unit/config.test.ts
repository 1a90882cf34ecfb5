import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../lib/config";

describe("loadConfig", () => {
  it("runs on embedded defaults with no environment at all", () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.pgliteDir).toBe(path.resolve("data", "pg"));
    expect(config.lanceUri).toBe(path.resolve("data", "lance"));
    expect(config.generator).toMatchObject({
      backend: "llama-cpp",
      model: "gemma-4-e2b-it",
      contextTokens: 131_072,
    });
    expect(config.embeddingModel).toBe("bge-small-en-v1.5");
    expect(config.ingestWorker).toBe("in-process");
  });

  it.each([
    ["MAX_UPLOAD_BYTES", "lots"],
    ["DATABASE_URL", "not a url"],
    ["GENERATOR_BACKEND", "mystery"],
    ["INGEST_WORKER", "sometimes"],
    ["GENERATOR_TEMPERATURE", "-1"],
    ["OIDC_ISSUER", "http://sso.example.com"],
  ])("fails fast naming %s when it is %j", (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(variable);
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ DATABASE_URL: "" }).databaseUrl).toBeUndefined();
  });
});
