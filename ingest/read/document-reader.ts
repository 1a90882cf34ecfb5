import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createHeadingTracker } from "../layout/headings";
import { createRunningTextFilter } from "../layout/running-text";
import type { PdfPageStream, PdfProcessPool } from "../pdf/pdf-process-pool";
import type { ChildPageMessage, OcrTask } from "../pdf/pdf-protocol";
import type { ExtractedPage, PageBlock } from "../types";
import { mapOrdered } from "./map-ordered";

/** OCR of one rendered region: blocks in page coordinates (`page = offset + pixel / scale`). */
export interface RegionOcr {
  readRegion(
    file: string,
    placement: { scale: number; offsetX: number; offsetY: number; isWholePage: boolean },
  ): Promise<PageBlock[]>;
}

export interface ReadInput {
  filePath: string;
  mediaType: string;
  /** For an encrypted PDF; never stored or logged. */
  password?: string;
  /** Where figure crops are written; null to find figures without keeping images. */
  figureDirectory: string | null;
}

export interface DocumentPages {
  pageCount: number;
  title: string | null;
  /** In page order; stop iterating to cancel the rest. */
  pages: AsyncIterable<ExtractedPage>;
}

export interface DocumentReaderParts {
  pdf: PdfProcessPool;
  ocr: RegionOcr;
}

/**
 * Pages taken from the PDF children while earlier pages wait for OCR (the OCR pool queues their
 * tasks on its workers): the children keep reading and text pages are ready when OCR catches up.
 * Pages are small (text and boxes; renders are files), so this costs little memory.
 */
const pagesInFlight = 32;

/**
 * Everything Folio reads from a file, page by page: the PDF pool's pages with their OCR done.
 * Streaming: no stage holds a whole document.
 */
export async function readDocumentPages(
  parts: DocumentReaderParts,
  input: ReadInput,
): Promise<DocumentPages> {
  const workDirectory = await mkdtemp(path.join(tmpdir(), "folio-read-"));
  let stream: PdfPageStream;
  try {
    stream = await parts.pdf.read(input.filePath, {
      ...(input.password === undefined ? {} : { password: input.password }),
      figureDirectory: input.figureDirectory,
      workDirectory,
    });
  } catch (error) {
    await rm(workDirectory, { recursive: true, force: true });
    throw error;
  }
  async function* pages(): AsyncGenerator<ExtractedPage> {
    try {
      yield* acrossPages(
        mapOrdered(stream.pages, pagesInFlight, (message) => completeOcr(parts.ocr, message)),
      );
    } finally {
      await rm(workDirectory, { recursive: true, force: true });
    }
  }
  return { pageCount: stream.pageCount, title: stream.title, pages: pages() };
}

/**
 * The passes that need neighbouring pages: running headers, footers and page numbers removed
 * (a few pages are held back to compare), then every block given its heading path.
 */
async function* acrossPages(pages: AsyncIterable<ExtractedPage>): AsyncGenerator<ExtractedPage> {
  const runningText = createRunningTextFilter();
  const headings = createHeadingTracker();
  for await (const page of pages) {
    for (const released of runningText.push(page)) yield headings.assign(released);
  }
  for (const released of runningText.flush()) yield headings.assign(released);
}

/**
 * Runs a page's OCR tasks: a whole-page OCR replaces the (absent or garbage) text layer, and the
 * text read inside each figure joins its caption.
 */
async function completeOcr(ocr: RegionOcr, message: ChildPageMessage): Promise<ExtractedPage> {
  const { page } = message;
  if (message.ocr.length === 0) return page;
  let blocks = [...page.blocks];
  const figureTexts = new Map<number, PageBlock[]>();
  for (const task of message.ocr) {
    const read = await readTask(ocr, task);
    if (task.target === "page") {
      // Figures keep their place after the text; the page's text is what OCR read.
      const figures = blocks.filter((block) => block.kind === "figure");
      blocks = [...read, ...figures];
      figures.forEach((figure, index) => {
        const inside = read.filter((block) => isInside(block, figure));
        if (inside.length > 0) figureTexts.set(blocks.length - figures.length + index, inside);
      });
      await rm(task.file, { force: true });
    } else {
      figureTexts.set(task.target, read);
    }
  }
  for (const [index, read] of figureTexts) {
    const figure = blocks[index];
    if (figure?.kind !== "figure" || read.length === 0) continue;
    const text = read.map((block) => block.text).join("\n");
    blocks[index] = {
      ...figure,
      text: [figure.figure?.caption ?? (figure.text || null), text].filter(Boolean).join("\n").slice(0, 4000),
      source: "ocr",
      confidence: meanConfidence(read),
    };
  }
  return { ...page, blocks };
}

function readTask(ocr: RegionOcr, task: OcrTask): Promise<PageBlock[]> {
  return ocr.readRegion(task.file, {
    scale: task.scale,
    offsetX: task.region[0],
    offsetY: task.region[1],
    isWholePage: task.target === "page",
  });
}

function isInside(block: PageBlock, container: PageBlock): boolean {
  const centerX = (block.box[0] + block.box[2]) / 2;
  const centerY = (block.box[1] + block.box[3]) / 2;
  const [x0, y0, x1, y1] = container.box;
  return centerX >= x0 && centerX <= x1 && centerY >= y0 && centerY <= y1;
}

function meanConfidence(blocks: readonly PageBlock[]): number | null {
  const values = blocks.flatMap((block) => (block.confidence === null ? [] : [block.confidence]));
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}
