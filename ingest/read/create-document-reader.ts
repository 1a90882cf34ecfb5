import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FolioConfig } from "../../lib/config";
import type { TextMediaType } from "../../lib/domain/media-types";
import { AppError } from "../../lib/errors";
import { createOfficeReader, type OfficeReader } from "../office/office-reader";
import { createPdfProcessPool, type PdfProcessPool } from "../pdf/pdf-process-pool";
import {
  isImageMediaType,
  isOfficeMediaType,
  isTextMediaType,
  type SupportedMediaType,
  supportedMediaTypes,
} from "../stages/detect-media-type";
import { extractImage } from "../stages/extract-image";
import { readTextDocument } from "../text/read-text-document";
import type { ExtractedPage } from "../types";
import { type DocumentPages, type ReadInput, readDocumentPages } from "./document-reader";
import { createLazyOcr, type LazyOcr } from "./region-ocr";

export interface DocumentReader {
  /** Pages in order, with OCR done; stop iterating to cancel. */
  read(input: ReadInput): Promise<DocumentPages>;
  /** Renders one PDF page to a PNG file (previews). */
  renderPdfPage: PdfProcessPool["render"];
  /** Process ids of the parser children (benchmarks read their memory). */
  readonly parserProcessIds: number[];
  dispose(): Promise<void>;
}

export interface DocumentReaderParts {
  pdf: PdfProcessPool;
  ocr: LazyOcr;
  limits: { maxImagePixels: number; maxPages: number };
  /** Word, PowerPoint and Excel files, each in a child process of its own. */
  office: OfficeReader;
  /**
   * Text, Markdown and HTML files up to this size are parsed in process; larger ones in a child
   * of the Office reader. @default 262144 for plain text and HTML (256 KiB: ~0.15 s of HTML),
   * 16384 for Markdown (see defaultMaxInProcessBytes)
   */
  maxInProcessTextBytes?: number;
}

type ReadByType = (parts: DocumentReaderParts, input: ReadInput) => Promise<DocumentPages>;

/** One reader per supported media type (a type without one is refused at read time). */
const readers: Partial<Record<SupportedMediaType, ReadByType>> = {
  "application/pdf": readDocumentPages,
  ...Object.fromEntries(
    Object.keys(supportedMediaTypes)
      .filter(isImageMediaType)
      .map((type) => [type, readImage]),
  ),
  "text/plain": readText,
  "text/markdown": readText,
  "text/html": readText,
  ...Object.fromEntries(
    Object.keys(supportedMediaTypes)
      .filter(isOfficeMediaType)
      .map((type) => [type, readOffice]),
  ),
};

/**
 * The reader for every supported type: PDFs through the pdf.js pool, images through sharp,
 * Office files in a child process each, text, Markdown and HTML parsed in process (large ones in
 * such a child too).
 */
export function createDocumentReader(parts: DocumentReaderParts): DocumentReader {
  return {
    read: async (input) => {
      const read = readers[input.mediaType as SupportedMediaType];
      if (!read) {
        throw new AppError("unsupported:file_type", {
          message: `Folio cannot read ${input.mediaType} files.`,
        });
      }
      return read(parts, input);
    },
    renderPdfPage: (filePath, options) => parts.pdf.render(filePath, options),
    get parserProcessIds() {
      return [...parts.pdf.childProcessIds, ...parts.office.childProcessIds];
    },
    dispose: async () => {
      await Promise.all([parts.pdf.dispose(), parts.ocr.dispose(), parts.office.dispose()]);
    },
  };
}

/** The reader with its parts configured from Folio's configuration (server, worker, CLI). */
export function createConfiguredDocumentReader(config: FolioConfig): DocumentReader {
  return createDocumentReader({
    pdf: createPdfProcessPool({
      processes: config.parse.processes,
      timeoutMs: config.limits.parseTimeoutMs,
      pageTimeoutMs: config.limits.parsePageTimeoutMs,
      maxMemoryMb: config.limits.parseMemoryMb,
      maxPages: config.limits.maxPdfPages,
    }),
    ocr: createLazyOcr({
      languages: config.parse.ocrLanguages,
      workers: config.parse.ocrWorkers,
      pageTimeoutMs: config.limits.parsePageTimeoutMs,
    }),
    limits: { maxImagePixels: config.limits.maxImagePixels, maxPages: config.limits.maxPdfPages },
    office: createOfficeReader({
      timeoutMs: config.limits.parseTimeoutMs,
      maxMemoryMb: config.limits.parseMemoryMb,
      maxUncompressedBytes: config.limits.officeMaxUncompressedMb * 1024 * 1024,
    }),
  });
}

function readOffice(parts: DocumentReaderParts, input: ReadInput): Promise<DocumentPages> {
  return withinPageLimit(parts, parts.office.read({ filePath: input.filePath, mediaType: input.mediaType }));
}

/**
 * Text and Office documents are paged by Folio (sections, slides, sheets), so their page count is
 * known only once they are read; past `MAX_PDF_PAGES` they are refused as long PDFs are. A 48 MB
 * one-line .txt made 10,067 pages and 372,455 passages, whose one-commit write held the web
 * server's event loop for ~24 s.
 */
async function withinPageLimit(
  parts: DocumentReaderParts,
  reading: Promise<DocumentPages>,
): Promise<DocumentPages> {
  const document = await reading;
  if (document.pageCount <= parts.limits.maxPages) return document;
  await document.pages[Symbol.asyncIterator]().return?.();
  throw new AppError("invalid:document_too_many_pages", {
    message: `This document makes ${document.pageCount} pages; at most ${parts.limits.maxPages} are accepted (MAX_PDF_PAGES). Split it into smaller files.`,
    details: { pageCount: document.pageCount, maxPages: parts.limits.maxPages },
  });
}

/**
 * Sized by each parser's worst case on hostile input, not its typical speed: plain text and HTML
 * are linear (parse5's element budget bounds its one quadratic case, see html-blocks.ts), but
 * marked's emphasis and link scanning is quadratic in a paragraph's length — 128 K `_a` pairs
 * (256 KiB) take 35 s, 16 KiB at most ~0.15 s.
 */
const defaultMaxInProcessBytes: Record<TextMediaType, number> = {
  "text/plain": 256 * 1024,
  "text/html": 256 * 1024,
  "text/markdown": 16 * 1024,
};

/**
 * Text, Markdown and HTML: small files in process; larger ones (Markdown parses at ~2.7 MiB/s,
 * HTML at ~1.8 MiB/s) in a child process, under the parse memory and time limits, so the
 * worker's event loop — the web server's, with the in-process worker — never waits on them.
 */
async function readText(parts: DocumentReaderParts, input: ReadInput): Promise<DocumentPages> {
  if (!isTextMediaType(input.mediaType)) throw new Error(`not a text type: ${input.mediaType}`);
  const { size } = await stat(input.filePath);
  if (size > (parts.maxInProcessTextBytes ?? defaultMaxInProcessBytes[input.mediaType])) {
    return readOffice(parts, input);
  }
  return withinPageLimit(parts, readTextDocument({ filePath: input.filePath, mediaType: input.mediaType }));
}

async function readImage(parts: DocumentReaderParts, input: ReadInput): Promise<DocumentPages> {
  if (!isImageMediaType(input.mediaType)) throw new Error(`not an image type: ${input.mediaType}`);
  // Without a place to keep figures (the extract command), they go to a directory removed after.
  const scratch = input.figureDirectory ? null : await mkdtemp(path.join(tmpdir(), "folio-image-"));
  try {
    const document = await extractImage(
      {
        filePath: input.filePath,
        mediaType: input.mediaType,
        figureDirectory: input.figureDirectory ?? scratch ?? "",
      },
      { ocr: await parts.ocr.engine(), limits: parts.limits },
    );
    async function* pages(): AsyncGenerator<ExtractedPage> {
      try {
        yield* document.pages;
      } finally {
        if (scratch) await rm(scratch, { recursive: true, force: true });
      }
    }
    return { pageCount: document.pageCount, title: document.title, pages: pages() };
  } catch (error) {
    if (scratch) await rm(scratch, { recursive: true, force: true });
    throw error;
  }
}
