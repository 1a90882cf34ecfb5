import { AppError } from "../../lib/errors";
import type { OfficeContent } from "./office-content";
import { readDocx } from "./read-docx";
import { readPptx } from "./read-pptx";
import { readXlsx } from "./read-xlsx";
import { type ArchiveLimits, openOfficeArchive } from "./safe-archive";

const readers = {
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": readDocx,
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": readPptx,
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": readXlsx,
} as const;

/**
 * A Word, PowerPoint or Excel file (macro-enabled ones too) as pages: the package checked and its
 * XML parts inflated (safe-archive.ts), then converted by its type's reader. `hasMacros` says the
 * package held a VBA project, which was neither read nor run.
 */
export async function readOfficeDocument(
  input: { filePath: string; mediaType: string },
  limits: ArchiveLimits = {},
): Promise<OfficeContent & { hasMacros: boolean }> {
  const read = readers[input.mediaType as keyof typeof readers];
  if (!read) {
    throw new AppError("unsupported:file_type", {
      message: `${input.mediaType} is not an Office type Folio reads.`,
    });
  }
  const archive = await openOfficeArchive(input.filePath, limits);
  const content = await read(archive);
  if (content.pages.length === 0) {
    throw new AppError("invalid:no_text", { message: "The document has no text to read." });
  }
  return { ...content, hasMacros: archive.hasMacros };
}
