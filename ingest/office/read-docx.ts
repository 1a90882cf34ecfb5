import mammoth from "mammoth";
import { AppError } from "../../lib/errors";
import { paginateBlocks } from "../text/paginate-blocks";
import { type DocxDocument, docxBlocks } from "./docx-blocks";
import type { OfficeContent } from "./office-content";
import { readCoreTitle } from "./ooxml-xml";
import { repackArchive } from "./repack-archive";
import type { OfficeArchive } from "./safe-archive";

/**
 * A Word document (.docx, .docm) through mammoth: its document model (styles, lists, tables,
 * notes) becomes blocks, paged like every flowing document (ingest/text/paginate-blocks.ts: a
 * page per section heading, labelled by it). Mammoth sees only the checked XML parts; it never
 * reads images (their alt text is kept) nor follows external links (`externalFileAccess: false`).
 */
export async function readDocx(archive: OfficeArchive): Promise<OfficeContent> {
  if (![...archive.xmlParts.keys()].some((name) => /^word\/document\d*\.xml$/i.test(name))) {
    throw new AppError("invalid:office_malformed", {
      message: "The file is not a Word document: it has no word/document.xml.",
    });
  }
  let document: DocxDocument | null = null;
  try {
    await mammoth.convertToHtml(
      { buffer: repackArchive(archive) },
      {
        externalFileAccess: false,
        // Keep the model, and give mammoth nothing to render: its HTML is not needed.
        transformDocument: (element: DocxDocument) => {
          document = element;
          return { ...element, children: [] };
        },
      },
    );
  } catch (error) {
    throw new AppError("invalid:office_malformed", {
      message: "The Word document could not be read (its main part is damaged or not a Word document).",
      cause: error,
    });
  }
  if (!document)
    throw new AppError("invalid:office_malformed", { message: "The Word document has no body." });
  let blocks: ReturnType<typeof docxBlocks>;
  try {
    blocks = docxBlocks(document);
  } catch (error) {
    // The model is walked recursively: nesting too deep for the stack is a hostile file, not a bug.
    if (!(error instanceof RangeError)) throw error;
    throw new AppError("invalid:office_malformed", {
      message: "The Word document nests its content too deeply to read.",
      cause: error,
    });
  }
  return { title: readCoreTitle(archive.xmlParts), pages: paginateBlocks(blocks) };
}
