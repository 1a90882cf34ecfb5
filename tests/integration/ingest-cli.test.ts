import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { createFreshPostgresDatabase } from "../support/test-database";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

const run = promisify(execFile);
let directory: string;
let environment: Record<string, string>;
let dropDatabase: (() => Promise<void>) | undefined;
const files: string[] = [];

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-cli-"));
  const models = await buildTestModels(path.join(directory, "models"));
  const database = await createFreshPostgresDatabase();
  dropDatabase = database?.drop;
  environment = {
    ...testModelEnvironment(models, path.join(directory, "models")),
    DATA_DIR: path.join(directory, "data"),
    DATABASE_URL: database?.url ?? "",
  };
  for (const [name, content] of [
    ["first.pdf", buildTextPdf({ pages: [["The first file."], ["Its second page."]] })],
    ["second.pdf", buildTextPdf({ pages: [["The second file."]] })],
    ["not-really.pdf", new TextEncoder().encode("<html>not a pdf</html>")],
  ] as const) {
    const file = path.join(directory, name);
    await writeFile(file, content);
    files.push(file);
  }
});
afterAll(async () => {
  await dropDatabase?.();
  await rm(directory, { recursive: true, force: true });
});

async function ingest(...args: string[]) {
  return run(process.execPath, ["--import", "tsx", "ingest/cli.ts", ...args], {
    env: { ...process.env, ...environment },
  }).then(
    (result) => ({ code: 0, ...result }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

it("indexes files with a progress bar, reports each failure, and exits 1 when one failed", async () => {
  const first = await ingest(...files, "--collection", "manuals");
  expect(first.code).toBe(1);
  expect(first.stderr).toMatch(/Indexing \[#+-*\]/);
  expect(first.stdout).toContain('Collection "manuals": 2 indexed, 0 already present, 1 failed.');
  expect(first.stdout).toMatch(/not-really\.pdf — unsupported:file_type: Only PDF files/);

  const again = await ingest(files[0] ?? "", files[1] ?? "", "--collection", "manuals");
  expect(again.code).toBe(0);
  expect(again.stdout).toContain("0 indexed, 2 already present, 0 failed.");
});

it("explains its usage when the collection is missing", async () => {
  const result = await ingest(files[0] ?? "");
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("--collection <name>");
});
