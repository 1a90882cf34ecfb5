import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const runFile = promisify(execFile);

export interface CorpusPdf {
  filePath: string;
  /** Path relative to `corpus/pdfs`, for display. */
  name: string;
  byteSize: number;
  /** Pages according to poppler's `pdfinfo`. */
  pageCount: number;
}

/** `FOLIO_CORPUS_DIR`, else `../shared/corpus` beside the repository (benchmarks run from its root). */
export function resolveCorpusPdfsDir(): string {
  const corpusDir = process.env.FOLIO_CORPUS_DIR ?? path.resolve("../shared/corpus");
  return path.join(corpusDir, "pdfs");
}

export function hasCorpusPdfs(pdfsDir: string): boolean {
  return existsSync(pdfsDir);
}

/** A PDF counts as text when pdftotext reads it (not encrypted, not broken) and finds this much text. */
const minimumTextCharacters = 200;

/**
 * The `count` smallest text PDFs under `pdfsDir`, ordered by byte size (then name). pdftotext is the
 * judge: it refuses encrypted and broken files just as the product would.
 */
export async function selectSmallestTextPdfs(pdfsDir: string, count: number): Promise<CorpusPdf[]> {
  const filePaths = await listPdfFiles(pdfsDir);
  const sized = await Promise.all(
    filePaths.map(async (filePath) => ({ filePath, byteSize: (await stat(filePath)).size })),
  );
  sized.sort((left, right) => left.byteSize - right.byteSize || left.filePath.localeCompare(right.filePath));
  const selected: CorpusPdf[] = [];
  for (const candidate of sized) {
    if (selected.length >= count) break;
    const text = await extractTextWithPdftotext(candidate.filePath);
    if (text === undefined || text.replace(/\s/g, "").length < minimumTextCharacters) continue;
    const pageCount = await countPagesWithPdfinfo(candidate.filePath);
    if (pageCount === undefined) continue;
    selected.push({ ...candidate, name: path.relative(pdfsDir, candidate.filePath), pageCount });
  }
  return selected;
}

/** The text pdftotext prints, or undefined when it fails on the file. */
export async function extractTextWithPdftotext(filePath: string): Promise<string | undefined> {
  try {
    const { stdout } = await runFile("pdftotext", [filePath, "-"], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 60_000,
    });
    return stdout;
  } catch {
    return undefined;
  }
}

/** Runs `pdftotext <file> /dev/null` once per file, one after another, as the speed reference. */
export async function timePdftotext(files: readonly CorpusPdf[]): Promise<number> {
  const startedAt = performance.now();
  for (const file of files) await runFile("pdftotext", [file.filePath, "/dev/null"], { timeout: 60_000 });
  return performance.now() - startedAt;
}

/** Every PDF under `directory` with its page count (pdfinfo), by name. */
export async function listCorpusPdfs(directory: string): Promise<CorpusPdf[]> {
  const filePaths = (await listPdfFiles(directory)).sort();
  const listed: CorpusPdf[] = [];
  for (const filePath of filePaths) {
    const pageCount = await countPagesWithPdfinfo(filePath);
    if (pageCount === undefined) continue;
    listed.push({
      filePath,
      name: path.relative(directory, filePath),
      byteSize: (await stat(filePath)).size,
      pageCount,
    });
  }
  return listed;
}

async function countPagesWithPdfinfo(filePath: string): Promise<number | undefined> {
  try {
    const { stdout } = await runFile("pdfinfo", [filePath], { timeout: 60_000 });
    const match = /^Pages:\s+(\d+)/m.exec(stdout);
    return match?.[1] ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function listPdfFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.toLowerCase().endsWith(".pdf"))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Fails early with the install hint when poppler's tools are missing. */
export async function checkPopplerInstalled(): Promise<string | undefined> {
  try {
    await runFile("pdftotext", ["-v"]);
    return undefined;
  } catch {
    return "pdftotext (Debian poppler-utils) is not installed: apt-get install poppler-utils";
  }
}
