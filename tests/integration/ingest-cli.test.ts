import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openDatabase } from "../../db/client";
import { getCollectionByName } from "../../db/queries/collections";
import { listDocumentVersions } from "../../db/queries/documents";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { createFreshPostgresDatabase } from "../support/test-database";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

const run = promisify(execFile);
/** Each run spawns the CLI (tsx, models, a pdf.js child): slow on a busy 2-core machine. */
const cliTestTimeoutMs = 300_000;
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

it(
  "indexes files with a progress bar, reports each failure, and exits 1 when one failed",
  async () => {
    const first = await ingest(...files, "--collection", "manuals");
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/Indexing \[#+-*\]/);
    expect(first.stdout).toContain('Collection "manuals": 2 indexed, 0 already present, 1 failed.');
    expect(first.stdout).toMatch(
      /not-really\.pdf — unsupported:file_type: Folio reads PDF, PNG, .* files; this file is an HTML page/,
    );

    const again = await ingest(files[0] ?? "", files[1] ?? "", "--collection", "manuals");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("0 indexed, 2 already present, 0 failed.");
  },
  cliTestTimeoutMs,
);

/** What the CLI left in the database (opened after it exited: PGlite is single-process). */
async function documentsOf(collectionName: string) {
  const database = await openDatabase({
    databaseUrl: environment.DATABASE_URL || undefined,
    pgliteDir: path.join(directory, "data", "pg"),
  });
  try {
    const collection = await getCollectionByName({ db: database.db, name: collectionName });
    if (!collection) throw new Error(`no collection ${collectionName}`);
    return await listDocumentVersions({ db: database.db, collectionIds: [collection.id] });
  } finally {
    await database.close();
  }
}

async function writePdf(relativePath: string, text: string) {
  const file = path.join(directory, relativePath);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, buildTextPdf({ pages: [[text]] }));
  return file;
}

it(
  "indexes a changed file under a taken name as a new version, and keeps two files of one run that share a name apart",
  async () => {
    const before = (await documentsOf("manuals")).filter((row) => row.document.title === "first.pdf");
    expect(before).toHaveLength(1);
    const edited = await writePdf("edited/first.pdf", "The first file, edited since.");
    const siteA = await writePdf("site-a/notes.pdf", "Notes from site A.");
    const siteB = await writePdf("site-b/notes.pdf", "Notes from site B.");

    // One run for both cases: each CLI start loads the models and the database.
    const result = await ingest(edited, siteA, siteB, "--collection", "manuals");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("3 indexed, 0 already present, 0 failed.");
    expect(result.stdout).toContain(`↻ ${edited} — new version of "first.pdf"`);
    expect(result.stdout).toContain(`+ ${siteB} — kept as "notes (2).pdf"`);

    const rows = await documentsOf("manuals");
    const firsts = rows.filter((row) => row.document.title === "first.pdf");
    expect(firsts).toHaveLength(2);
    expect(new Set(firsts.map((row) => row.document.id))).toEqual(new Set([before[0]?.document.id]));
    const [newest] = firsts;
    expect(newest?.version).toMatchObject({ status: "indexed" });
    expect(newest?.document.currentVersionId).toBe(newest?.version.id);
    const titles = rows.map((row) => row.document.title);
    expect(titles.filter((title) => title.startsWith("notes")).sort()).toEqual([
      "notes (2).pdf",
      "notes.pdf",
    ]);
  },
  cliTestTimeoutMs,
);

it(
  "explains its usage when the collection is missing",
  async () => {
    const result = await ingest(files[0] ?? "");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--collection <name>");
  },
  cliTestTimeoutMs,
);
