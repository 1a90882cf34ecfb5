import { isTextMediaType } from "../../lib/domain/media-types";
import { AppError } from "../../lib/errors";
import { readTextDocument } from "../text/read-text-document";
import type { ExtractedPage } from "../types";
import type { OfficeContent } from "./office-content";
import { OfficeTextBudget } from "./office-text-budget";
import { type ArchiveLimits, type OfficeArchive, openOfficeArchive } from "./safe-archive";

type Reader = (archive: OfficeArchive, budget: OfficeTextBudget) => OfficeContent | Promise<OfficeContent>;

/** Each reader loads its converter only when needed (exceljs alone takes ~0.4 s to load). */
const readers: Record<string, () => Promise<Reader>> = {
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": async () =>
    (await import("./read-docx")).readDocx,
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": async () =>
    (await import("./read-pptx")).readPptx,
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": async () =>
    (await import("./read-xlsx")).readXlsx,
};

/**
 * A Word, PowerPoint or Excel file (macro-enabled ones too) as pages: the package checked and its
 * XML parts inflated (safe-archive.ts), then converted by its type's reader. `hasMacros` says the
 * package held a VBA project, which was neither read nor run.
 */
export async function readOfficeDocument(
  input: { filePath: string; mediaType: string },
  limits: ArchiveLimits = {},
): Promise<OfficeContent & { hasMacros: boolean }> {
  // Large text, Markdown and HTML files are read in this child too (see readText in
  // create-document-reader.ts): parsing them takes seconds, and must not hold the worker.
  if (isTextMediaType(input.mediaType)) {
    const { title, pages } = await readTextDocument({ filePath: input.filePath, mediaType: input.mediaType });
    return { title, pages: await arrayOf(pages), hasMacros: false };
  }
  const loadReader = Object.hasOwn(readers, input.mediaType) ? readers[input.mediaType] : undefined;
  if (!loadReader) {
    throw new AppError("unsupported:file_type", {
      message: `${input.mediaType} is not an Office type Folio reads.`,
    });
  }
  const archive = await openOfficeArchive(input.filePath, limits);
  const budget = OfficeTextBudget.of(archive);
  const content = await (await loadReader())(archive, budget);
  if (content.pages.length === 0) {
    throw new AppError("invalid:no_text", { message: "The document has no text to read." });
  }
  budget.check(content);
  return { ...content, hasMacros: archive.hasMacros };
}

async function arrayOf(pages: AsyncIterable<ExtractedPage>): Promise<ExtractedPage[]> {
  const all: ExtractedPage[] = [];
  for await (const page of pages) all.push(page);
  return all;
}
