import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCollection } from "../../db/queries/collections";
import { getVersionWithDocument } from "../../db/queries/documents";
import type { PipelineDependencies } from "../../ingest/pipeline";
import type { ExtractedPage } from "../../ingest/types";
import { IngestWorker, type JobResult } from "../../ingest/worker";
import { isAppError } from "../../lib/errors";
import { corpusDir, hasCorpus, warnSkipped } from "../support/corpus";
import { bytesOf, createTestFolio, type TestFolio } from "../support/test-runtime";

/**
 * SECURITY.md / issue 6 item 10: every readable file of the shared corpus goes through one Folio,
 * upload to index, and either indexes or fails with a typed reason the user can act on — never
 * an internal error, never a hang. Prints one row per file and writes them as JSON.
 */

const supportedExtensions = new Set([
  ".pdf",
  ".png",
  ".jpg",
  ".jpeg",
  ".webp",
  ".tif",
  ".tiff",
  ".gif",
  ".bmp",
  ".svg",
]);

/** Budgets of the sweep: small, but room for OCR of a scanned page on 2 busy cores. */
const pageTimeoutMs = 30_000;
const documentTimeoutMs = 120_000;
const environment = {
  PARSE_PAGE_TIMEOUT_MS: String(pageTimeoutMs),
  PARSE_TIMEOUT_MS: String(documentTimeoutMs),
  // The corpus's longest PDF has 18 pages; the cap bounds any file added later.
  MAX_PDF_PAGES: "100",
  PARSE_PROCESSES: "2",
  OCR_WORKERS: "1",
  INGEST_MAX_ATTEMPTS: "1",
};

/** PDFs that open only with a user password (corpus MANIFEST.md): refused without it. */
const needsPassword = [
  "pdfs/pdfjs/bug1782186.pdf",
  "pdfs/pdfjs/issue3371.pdf",
  "pdfs/pdfjs/issue6010_2.pdf",
  "pdfs/pdfplumber/password-example.pdf",
  "pdfs/pypdf-resources/encryption__r2-user-password.pdf",
  "pdfs/pypdf-resources/encryption__r6-both-passwords.pdf",
  "pdfs/pypdf-sample-files/005-libreoffice-writer-password__libreoffice-writer-password.pdf",
  "pdfs/tables-tabula/encrypted.pdf",
];
/** Uploaded again with their password (MANIFEST.md), into a second collection. */
const withPassword: { file: string; password: string; expected: "indexed" | "invalid:pdf_wrong_password" }[] =
  [
    { file: "pdfs/pypdf-resources/encryption__r6-both-passwords.pdf", password: "foo", expected: "indexed" },
    { file: "pdfs/tables-tabula/encrypted.pdf", password: "userpassword", expected: "indexed" },
    {
      file: "pdfs/pdfplumber/password-example.pdf",
      password: "not-the-password-7731",
      expected: "invalid:pdf_wrong_password",
    },
  ];

interface Outcome {
  file: string;
  bytes: number;
  /** Upload refused, indexed, or failed (the job). */
  status: "refused" | "indexed" | "failed";
  pages: number | null;
  chunks: number | null;
  /** Pages per route (text_layer, ocr, mixed), and unreadable pages. */
  routes: Record<string, number>;
  errorCode: string | null;
  errorMessage: string | null;
  seconds: number;
  password?: "right" | "wrong";
}

async function listCorpusFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const top of ["pdfs", "images"]) {
    const root = path.join(corpusDir, top);
    if (!existsSync(root)) continue;
    for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      if (!supportedExtensions.has(path.extname(entry.name).toLowerCase())) continue;
      files.push(path.relative(corpusDir, path.join(entry.parentPath, entry.name)));
    }
  }
  return files.sort();
}

let folio: TestFolio;
let worker: IngestWorker;
const passwords = new Map<string, string>();
/** Routes of the pages read, by blob path. */
const routesByBlob = new Map<string, Record<string, number>>();

/** The product's own pipeline parts; the reader's pages are counted on their way to the chunker. */
async function observedDependencies(): Promise<PipelineDependencies> {
  const base = await folio.ingest.pipelineDependencies();
  return {
    ...base,
    passwordFor: (versionId) => passwords.get(versionId),
    readDocument: async (input) => {
      const read = await base.readDocument(input);
      const routes: Record<string, number> = {};
      routesByBlob.set(input.filePath, routes);
      async function* counted(): AsyncGenerator<ExtractedPage> {
        for await (const page of read.pages) {
          const key = page.isUnreadable ? "unreadable" : page.route;
          routes[key] = (routes[key] ?? 0) + 1;
          yield page;
        }
      }
      return { ...read, pages: counted() };
    },
  };
}

beforeAll(async () => {
  if (!hasCorpus) return;
  folio = await createTestFolio({ environment });
  worker = new IngestWorker({
    db: folio.database.db,
    pipelineDependencies: observedDependencies,
    maxAttempts: 1,
    log: () => {},
  });
});
afterAll(async () => folio?.close());

/** Uploads each file, then runs the queue job by job, timing each. */
async function sweep(
  collectionId: string,
  files: readonly { file: string; password?: string }[],
): Promise<Outcome[]> {
  const db = folio.database.db;
  const accepted = new Map<string, { versionId: string; sha256: string }>();
  const outcomes = new Map<string, Outcome>();
  for (const { file, password } of files) {
    const bytes = await readFile(path.join(corpusDir, file));
    const base = { file, bytes: bytes.length, pages: null, chunks: null, routes: {}, seconds: 0 };
    try {
      const upload = await folio.ingest.accept({
        collectionId,
        fileName: file.replaceAll("/", "--"),
        body: bytesOf(bytes),
      });
      if (password !== undefined) passwords.set(upload.versionId, password);
      accepted.set(upload.jobId, { versionId: upload.versionId, sha256: upload.sha256 });
      outcomes.set(upload.jobId, { ...base, status: "indexed", errorCode: null, errorMessage: null });
    } catch (error) {
      if (!isAppError(error)) throw error;
      outcomes.set(file, { ...base, status: "refused", errorCode: error.code, errorMessage: error.message });
    }
  }
  for (;;) {
    const started = performance.now();
    const result: JobResult | undefined = await worker.runOnce();
    if (!result) break;
    const outcome = outcomes.get(result.jobId);
    const upload = accepted.get(result.jobId);
    if (!outcome || !upload) throw new Error(`unknown job ${result.jobId}`);
    outcome.seconds = Math.round(performance.now() - started) / 1000;
    const found = await getVersionWithDocument({ db, versionId: upload.versionId });
    const version = found?.version;
    outcome.status = version?.status === "indexed" ? "indexed" : "failed";
    outcome.pages = version?.pageCount ?? null;
    outcome.chunks = version?.chunkCount ?? null;
    outcome.errorCode = version?.errorCode ?? null;
    outcome.errorMessage = version?.errorMessage ?? null;
    outcome.routes = routesByBlob.get(folio.blobs.pathOf(upload.sha256)) ?? {};
  }
  return [...outcomes.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

function formatTable(outcomes: readonly Outcome[]): string {
  const rows = outcomes.map((outcome) => [
    outcome.file + (outcome.password ? ` (${outcome.password} password)` : ""),
    String(outcome.pages ?? "-"),
    String(outcome.chunks ?? "-"),
    outcome.status === "indexed"
      ? Object.entries(outcome.routes)
          .map(([route, count]) => `${route} ${count}`)
          .join(", ")
      : (outcome.errorCode ?? outcome.status),
    outcome.seconds.toFixed(1),
  ]);
  const header = ["file", "pages", "chunks", "routes / error", "s"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  return [header, ...rows]
    .map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  "))
    .join("\n");
}

const typedReason = /^(invalid|unsupported|too_large):[a-z_]+$/;

describe.skipIf(!hasCorpus)("the whole corpus through one Folio", () => {
  it("indexes every file or fails it with a typed reason, each job in bounded time", async () => {
    const files = await listCorpusFiles();
    expect(files.length).toBeGreaterThan(100);
    const db = folio.database.db;
    const started = performance.now();
    const corpus = (await createCollection({ db, name: "corpus" })).collection.id;
    const outcomes = await sweep(
      corpus,
      files.map((file) => ({ file })),
    );
    const secured = (await createCollection({ db, name: "with passwords" })).collection.id;
    const passwordOutcomes = (await sweep(secured, withPassword)).map((outcome) => ({
      ...outcome,
      password:
        withPassword.find((entry) => entry.file === outcome.file)?.expected === "indexed"
          ? ("right" as const)
          : ("wrong" as const),
    }));
    const totalSeconds = Math.round(performance.now() - started) / 1000;

    const all = [...outcomes, ...passwordOutcomes];
    const report = path.join(await mkdtemp(path.join(tmpdir(), "folio-corpus-sweep-")), "outcomes.json");
    await writeFile(report, `${JSON.stringify({ totalSeconds, environment, outcomes: all }, null, 2)}\n`);
    const failed = all.filter((outcome) => outcome.status !== "indexed");
    console.info(
      `${formatTable(all)}\n\n${all.length} uploads in ${totalSeconds} s: ${all.length - failed.length} indexed, ` +
        `${failed.length} failed or refused; written to ${report}\n` +
        failed
          .map((outcome) => `  ${outcome.file}: ${outcome.errorCode} — ${outcome.errorMessage}`)
          .join("\n"),
    );

    expect(outcomes.map((outcome) => outcome.file)).toEqual(files);
    for (const outcome of all) {
      const summary = { file: outcome.file, status: outcome.status, errorCode: outcome.errorCode };
      if (outcome.status === "indexed") {
        expect(outcome.chunks, outcome.file).toBeGreaterThan(0);
      } else {
        // A reason the user can act on, never "internal".
        expect(summary).toEqual({ ...summary, errorCode: expect.stringMatching(typedReason) });
        expect(outcome.errorMessage ?? "").not.toMatch(/\/(tmp|work|home|proc)\/|[A-Za-z]:\\|\.ts\b/);
        expect(outcome.errorMessage ?? "").not.toContain(folio.dataDir);
      }
      // Each job ends within its budgets (plus room for OCR after the parser is done).
      expect(outcome.seconds, outcome.file).toBeLessThan((documentTimeoutMs + pageTimeoutMs) / 1000);
    }
    for (const file of needsPassword) {
      expect({ file, code: outcomes.find((outcome) => outcome.file === file)?.errorCode }).toEqual({
        file,
        code: "invalid:pdf_encrypted",
      });
    }
    for (const { file, password, expected } of withPassword) {
      const outcome = passwordOutcomes.find((entry) => entry.file === file);
      expect({ file, result: outcome?.status === "indexed" ? "indexed" : outcome?.errorCode }).toEqual({
        file,
        result: expected,
      });
      expect(outcome?.errorMessage ?? "").not.toContain(password);
    }
  }, 900_000);
});

if (!hasCorpus) warnSkipped("corpus sweep");
