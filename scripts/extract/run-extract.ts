import { open } from "node:fs/promises";
import path from "node:path";
import { createConfiguredDocumentReader } from "../../ingest/read/create-document-reader";
import { detectMediaType, hasPageImages } from "../../ingest/stages/detect-media-type";
import type { ExtractedPage, PageBlock } from "../../ingest/types";
import { ConfigError, loadConfig } from "../../lib/config";
import { isAppError } from "../../lib/errors";
import { createProgressBar } from "../../lib/terminal/progress-bar";

export interface ExtractIo {
  environment: Record<string, string | undefined>;
  out: (text: string) => void;
  err: (line: string) => void;
  /** Piped standard input (for `--password-stdin`), or undefined on a terminal. */
  readStdin: () => Promise<string | undefined>;
  progressStream?: NodeJS.WriteStream;
}

const usage = `Usage: npm run extract -- <file> [--json] [--pages 1-3,7] [--figures <dir>] [--password-stdin]

Prints what Folio reads from a file, without indexing it: per page, the blocks in reading order
with their type (text, heading, table, figure), box, source (text layer or OCR) and confidence;
tables as Markdown. --figures keeps the figure crops in <dir>.`;

interface ExtractArguments {
  file: string;
  asJson: boolean;
  pages: ((pageNumber: number) => boolean) | null;
  figureDirectory: string | null;
  passwordFromStdin: boolean;
}

/** `npm run extract`: exit 0 when the file was read, 1 when Folio cannot read it, 64 on bad usage. */
export async function runExtract(argv: readonly string[], io: ExtractIo): Promise<number> {
  let parsed: ExtractArguments;
  try {
    parsed = parseArguments(argv);
  } catch (error) {
    io.err((error as Error).message);
    io.err(usage);
    return 64;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(io.environment);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(error.message);
      return 64;
    }
    throw error;
  }
  const password = parsed.passwordFromStdin ? (await io.readStdin())?.replace(/\r?\n$/, "") : undefined;
  const reader = createConfiguredDocumentReader(config);
  try {
    const mediaType = detectMediaType(await readHead(parsed.file), { fileName: path.basename(parsed.file) });
    const document = await reader.read({
      filePath: parsed.file,
      mediaType,
      ...(password ? { password } : {}),
      figureDirectory: parsed.figureDirectory,
    });
    const progress = createProgressBar({
      total: document.pageCount,
      title: `Reading ${path.basename(parsed.file)}`,
      ...(io.progressStream ? { stream: io.progressStream } : {}),
    });
    const pages: ExtractedPage[] = [];
    let pagesRead = 0;
    for await (const page of document.pages) {
      pagesRead++;
      if (pagesRead < document.pageCount) progress.update(pagesRead);
      if (!parsed.pages || parsed.pages(page.pageNumber)) pages.push(page);
    }
    progress.finish();
    const summary = { file: parsed.file, mediaType, pageCount: document.pageCount, title: document.title };
    io.out(
      parsed.asJson ? `${JSON.stringify({ ...summary, pages }, null, 2)}\n` : formatText(summary, pages),
    );
    return 0;
  } catch (error) {
    io.err(isAppError(error) ? `${error.code}: ${error.message}` : String(error));
    return 1;
  } finally {
    await reader.dispose();
  }
}

function parseArguments(argv: readonly string[]): ExtractArguments {
  const result: ExtractArguments = {
    file: "",
    asJson: false,
    pages: null,
    figureDirectory: null,
    passwordFromStdin: false,
  };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] ?? "";
    if (argument === "--json") result.asJson = true;
    else if (argument === "--password-stdin") result.passwordFromStdin = true;
    else if (argument === "--pages") result.pages = parsePageList(argv[++index] ?? "");
    else if (argument === "--figures") result.figureDirectory = path.resolve(argv[++index] ?? "");
    else if (argument.startsWith("--")) throw new Error(`Unknown option ${argument}`);
    else if (result.file === "") result.file = path.resolve(argument);
    else throw new Error(`One file at a time (got ${argument} too)`);
  }
  if (result.file === "") throw new Error("Which file?");
  return result;
}

/** "1-3,7" → a predicate; page numbers are 1-based. */
export function parsePageList(text: string): (pageNumber: number) => boolean {
  const ranges = text.split(",").map((part) => {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!match) throw new Error(`--pages takes page numbers and ranges like 1-3,7 (got "${text}")`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (first < 1 || last < first) throw new Error(`--pages: "${part}" is not a range of pages`);
    return [first, last] as const;
  });
  return (pageNumber) => ranges.some(([first, last]) => pageNumber >= first && pageNumber <= last);
}

async function readHead(file: string): Promise<Uint8Array> {
  const handle = await open(file, "r");
  try {
    const buffer = new Uint8Array(1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

const routeLabels = { text_layer: "text layer", ocr: "OCR", mixed: "text layer + OCR of images" } as const;

function formatText(
  summary: { file: string; mediaType: string; pageCount: number; title: string | null },
  pages: readonly ExtractedPage[],
): string {
  const lines = [
    `${path.basename(summary.file)} — ${summary.mediaType}, ${summary.pageCount} page${summary.pageCount === 1 ? "" : "s"}${summary.title ? `, title "${summary.title}"` : ""}`,
  ];
  for (const page of pages) {
    const label = page.label ? ` "${page.label}"` : "";
    // Pages without page images measure their text: boxes are character spans of it.
    const size = hasPageImages(summary.mediaType)
      ? `${page.width} × ${page.height} ${summary.mediaType === "application/pdf" ? "pt" : "px"}`
      : `${page.height} characters`;
    lines.push(
      "",
      `── Page ${page.pageNumber}${label} (${size}, ${page.isUnreadable ? "unreadable" : routeLabels[page.route]}) ──`,
    );
    if (page.blocks.length === 0) lines.push("(nothing read)");
    for (const block of page.blocks) lines.push(...formatBlock(block));
  }
  return `${lines.join("\n")}\n`;
}

function formatBlock(block: PageBlock): string[] {
  const kind =
    block.kind === "heading"
      ? `heading ${block.headingLevel ?? ""}`.trim()
      : block.kind === "figure" && block.figure
        ? `figure ${block.figure.file}`
        : block.kind;
  const source =
    block.source === "ocr"
      ? `OCR ${block.confidence === null ? "" : `${Math.round(block.confidence * 100)}%`}`.trim()
      : "text layer";
  const box = block.box.map((value) => Math.round(value)).join(",");
  const header = `[${kind}] @${box} ${source}${block.headingPath?.length ? ` · ${block.headingPath.join(" › ")}` : ""}`;
  const body = block.kind === "table" ? block.text : block.text.replace(/\s+/g, " ");
  return [header, ...body.split("\n").map((line) => `  ${line}`)];
}
