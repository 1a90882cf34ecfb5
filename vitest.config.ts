import { defineConfig } from "vitest/config";

/**
 * Files that never open Folio's database (parsers, OCR, models, LanceDB alone, the README's `npm start`
 * and the bad-config start, which pin embedded PGlite), and the sweeps of the document corpus and
 * of hostile files, whose subject is the reader (a failed job is recorded as any other, which the
 * worker tests cover on both databases). With DATABASE_URL set — the PostgreSQL pass of .ci/run,
 * after the PGlite pass ran everything — they would only repeat themselves.
 */
const databaseIndependentFiles = [
  "tests/integration/corpus-sweep.test.ts",
  "tests/integration/hostile-files.test.ts",
  "tests/integration/pdf-process-pool.test.ts",
  "tests/integration/ocr-pool.test.ts",
  "tests/integration/extract-image.test.ts",
  "tests/integration/extract-cli.test.ts",
  "tests/integration/bert-shaped-model.test.ts",
  "tests/integration/models-pull.test.ts",
  "tests/integration/onnx-embedder.test.ts",
  "tests/integration/cross-encoder.test.ts",
  "tests/integration/llama-cpp-generator.test.ts",
  "tests/integration/llama-node-generator.test.ts",
  "tests/integration/models-vision.test.ts",
  "tests/integration/vision-runtime.test.ts",
  "tests/integration/lancedb-store.test.ts",
  "tests/integration/lancedb-across-processes.test.ts",
  "tests/integration/full-text-index.test.ts",
  "tests/integration/full-text-optimize.test.ts",
  "tests/integration/blob-store.test.ts",
  "tests/integration/page-preview.test.ts",
  "tests/integration/generator-isolation.test.ts",
  "tests/e2e/npm-start.test.ts",
  "tests/e2e/bad-config.test.ts",
  "tests/e2e/browser-figures.test.ts",
  // Its own PostgreSQL server, started and stopped by the test.
  "tests/e2e/postgres-restart.test.ts",
];
const skippedOnPostgres = process.env.DATABASE_URL ? databaseIndependentFiles : [];

/**
 * Three projects: fast pure unit tests; integration tests on real databases, LanceDB and models
 * (one file at a time: models and PGlite are heavy on 2 cores); browser tests against a real
 * `next start` server.
 */
export default defineConfig({
  test: {
    reporters: ["default", "./tests/support/unfinished-files-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["tests/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          exclude: skippedOnPostgres,
          environment: "node",
          pool: "forks",
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["tests/e2e/**/*.test.ts"],
          exclude: skippedOnPostgres,
          globalSetup: ["tests/e2e/global-setup.ts"],
          environment: "node",
          pool: "forks",
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
