import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../../lib/config";
import { createFolio, type Folio, type FolioOptions } from "../../lib/runtime";
import { createFreshPostgresDatabase } from "./test-database";
import { buildTestModels, type TestModels, testModelEnvironment } from "./test-models";

export interface TestFolio extends Folio {
  models: TestModels;
  dataDir: string;
}

/**
 * A complete Folio on real parts — PGlite (or a fresh PostgreSQL database when DATABASE_URL is
 * set), LanceDB in a temp dir, the tiny ONNX embedder and the scripted GGUF — configured through
 * the same `loadConfig` and built by the same `createFolio` the product uses.
 */
export async function createTestFolio(
  options: {
    environment?: Record<string, string>;
    /** Test-only replacements, built from the test models (e.g. a recording generator). */
    overrides?: (models: TestModels) => Promise<FolioOptions["overrides"]>;
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
  const folio = await createFolio(config, {
    log: () => {},
    overrides: await options.overrides?.(models),
  });
  return {
    ...folio,
    models,
    dataDir,
    close: async () => {
      await folio.close();
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs queued jobs in this process until the queue has nothing runnable. */
export async function drainQueue(folio: Folio): Promise<void> {
  while (await folio.ingest.worker.runOnce()) {
    // keep going
  }
}

export async function* bytesOf(data: Uint8Array): AsyncIterable<Uint8Array> {
  yield data;
}
