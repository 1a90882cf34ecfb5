import { readFile } from "node:fs/promises";
import type { TextMediaType } from "../../lib/domain/media-types";
import { AppError } from "../../lib/errors";
import type { DocumentPages } from "../read/document-reader";
import type { ExtractedPage } from "../types";
import { decodeText } from "./decode-text";
import type { FlowBlock } from "./flow-blocks";
import { htmlToBlocks } from "./html-blocks";
import { markdownToBlocks } from "./markdown-blocks";
import { type PaginateOptions, paginateBlocks } from "./paginate-blocks";
import { plainTextToBlocks } from "./plain-text-blocks";

/**
 * A text document's title and blocks, by its type. marked lexes nested quotes and lists
 * recursively: nesting deeper than the stack (`> > > …` twenty thousand times) is a hostile file,
 * refused as `invalid:text_too_complex` rather than failing as an internal error.
 */
export function parseTextDocument(
  text: string,
  mediaType: TextMediaType,
): { title: string | null; blocks: FlowBlock[] } {
  try {
    if (mediaType === "text/markdown") return markdownToBlocks(text);
    if (mediaType === "text/html") return htmlToBlocks(text);
    return { title: null, blocks: plainTextToBlocks(text) };
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new AppError("invalid:text_too_complex", {
      message: "The file nests its content (quotes, lists or elements) too deeply to read.",
      cause: error,
    });
  }
}

/** The pages of a text, Markdown or HTML file (see `paginateBlocks` for what a page is). */
export function textDocumentPages(
  bytes: Uint8Array,
  mediaType: TextMediaType,
  options: PaginateOptions = {},
): { title: string | null; pages: ExtractedPage[] } {
  const { title, blocks } = parseTextDocument(decodeText(bytes), mediaType);
  return { title, pages: paginateBlocks(blocks, options) };
}

/**
 * Reads a text, Markdown or HTML file whole (its size is bounded by the upload limit) into
 * pages. A file with no text at all (only markup, or only whitespace) yields no pages, and the
 * pipeline refuses it as a document without text.
 */
export async function readTextDocument(
  input: { filePath: string; mediaType: TextMediaType },
  options: PaginateOptions = {},
): Promise<DocumentPages> {
  const { title, pages } = textDocumentPages(await readFile(input.filePath), input.mediaType, options);
  if (pages.length === 0) {
    throw new AppError("invalid:no_text", {
      message: "The file has no text to read (only whitespace, markup or scripts).",
    });
  }
  async function* stream(): AsyncGenerator<ExtractedPage> {
    yield* pages;
  }
  return { pageCount: pages.length, title, pages: stream() };
}
