import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createIngestService, type IngestService } from "../../ingest/ingest-service";
import { loadConfig } from "../../lib/config";
import { createRuntime, type Runtime, type RuntimeOverrides } from "../../lib/runtime";
import { createFreshPostgresDatabase } from "./test-database";
import { buildTestModels, type TestModels, testModelEnvironment } from "./test-models";

export interface TestFolio {
  runtime: Runtime;
  ingest: IngestService;
  models: TestModels;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * A complete Folio on real parts — PGlite (or a fresh PostgreSQL database when DATABASE_URL is
 * set), LanceDB in a temp dir, the tiny ONNX embedder and the scripted GGUF — configured through
 * the same `loadConfig` the product uses.
 */
export async function createTestFolio(
  options: {
    environment?: Record<string, string>;
    /** Test-only replacements, built from the test models (e.g. a recording generator). */
    overrides?: (models: TestModels) => Promise<RuntimeOverrides>;
    /** @default true when this process has DATABASE_URL: a fresh database on that server. */
    usePostgres?: boolean;
  } = {},
): Promise<TestFolio> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "folio-test-"));
  const models = await buildTestModels(path.join(dataDir, "models"));
  const database =
    (options.usePostgres ?? Boolean(process.env.DATABASE_URL))
      ? await createFreshPostgresDatabase()
      : undefined;
  const config = loadConfig({
    DATA_DIR: dataDir,
    DATABASE_URL: database?.url,
    ...testModelEnvironment(models, path.join(dataDir, "models")),
    PARSE_TIMEOUT_MS: "30000",
    ...options.environment,
  });
  const runtime = await createRuntime(config, (await options.overrides?.(models)) ?? {});
  const ingest = createIngestService(runtime, { log: () => {} });
  return {
    runtime,
    ingest,
    models,
    dataDir,
    close: async () => {
      await ingest.close();
      await runtime.close();
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs queued jobs in this process until the queue has nothing runnable. */
export async function drainQueue(ingest: IngestService): Promise<void> {
  while (await ingest.worker.runOnce()) {
    // keep going
  }
}

export async function* bytesOf(data: Uint8Array): AsyncIterable<Uint8Array> {
  yield data;
}
