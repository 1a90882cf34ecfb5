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

  it("binds loopback by default and answers for localhost and PUBLIC_URL's host", () => {
    const config = loadConfig({});
    expect(config.host).toBe("127.0.0.1");
    expect(config.web.publicUrl).toBe("http://localhost:3000");
    const exposed = loadConfig({
      HOST: "0.0.0.0",
      PUBLIC_URL: "https://folio.example.com/",
      ALLOWED_HOSTS: "Folio.Internal:8443, other",
    });
    expect(exposed.web.publicUrl).toBe("https://folio.example.com");
    expect(exposed.web.allowedHosts).toEqual(["folio.example.com", "folio.internal:8443", "other"]);
  });

  it("refuses to expose Folio beyond this machine without saying at which address", () => {
    expect(() => loadConfig({ HOST: "0.0.0.0" })).toThrow(/HOST.*PUBLIC_URL/s);
  });

  it("takes the OpenAI-compatible backend only with the server's URL", () => {
    expect(() => loadConfig({ GENERATOR_BACKEND: "openai" })).toThrow("OPENAI_BASE_URL");
    expect(
      loadConfig({ GENERATOR_BACKEND: "openai", OPENAI_BASE_URL: "http://gpu-node:8080/v1" }).generator,
    ).toMatchObject({
      backend: "openai",
      openai: { baseUrl: "http://gpu-node:8080/v1", requestTimeoutMs: 30_000, idleTimeoutMs: 60_000 },
    });
  });

  it("configures OIDC only with an issuer and a client id", () => {
    expect(loadConfig({}).oidc).toBeUndefined();
    expect(() => loadConfig({ OIDC_ISSUER: "https://id.example.com" })).toThrow("OIDC_CLIENT_ID");
    expect(loadConfig({ OIDC_ISSUER: "https://id.example.com", OIDC_CLIENT_ID: "folio" }).oidc).toMatchObject(
      {
        issuer: "https://id.example.com",
        clientId: "folio",
        groupsClaim: "groups",
        autoCreateUsers: true,
      },
    );
  });

  it("leaves reranking off unless RERANK_MODEL names a model, and refuses a candidate count that is not a positive integer", () => {
    expect(loadConfig({}).rerank).toEqual({ model: undefined, candidates: 20, maxTokens: undefined });
    expect(
      loadConfig({ RERANK_MODEL: "bge-reranker-base", RERANK_CANDIDATES: "40", RERANK_MAX_TOKENS: "256" })
        .rerank,
    ).toEqual({ model: "bge-reranker-base", candidates: 40, maxTokens: 256 });
    expect(loadConfig({ RERANK_MODEL: "" }).rerank.model).toBeUndefined();
    for (const [variable, value] of [
      ["RERANK_CANDIDATES", "0"],
      ["RERANK_CANDIDATES", "many"],
      ["RERANK_MAX_TOKENS", "4"],
    ]) {
      expect(() => loadConfig({ [variable as string]: value })).toThrow(variable);
    }
  });
});
