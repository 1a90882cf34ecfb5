/**
 * The child side of `extract-pdf.ts`: runs pdf.js on one document at a time, on request over
 * IPC (messages in `extract-pdf-protocol.ts`), and streams one message per page. Started with
 * `--max-old-space-size`; the parent kills it on timeout. Never import this module: it starts
 * listening as soon as it is loaded.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { getDocument, VerbosityLevel } from "pdfjs-dist/legacy/build/pdf.mjs";
import type { BoundingBox } from "../../lib/domain/geometry";
import type { ExtractedPage, TextItem } from "../types";
import {
  type ChildMessage,
  type ExtractFailureReason,
  type ExtractRequest,
  extractRequestSchema,
} from "./extract-pdf-protocol";
import { segmentBlocks } from "./segment-blocks";

/** CMaps let pdf.js map CJK and other CID fonts to Unicode; the standard fonts give metrics. */
const pdfjsDirectory = path.dirname(createRequire(import.meta.url).resolve("pdfjs-dist/package.json"));
const cMapUrl = `${path.join(pdfjsDirectory, "cmaps")}${path.sep}`;
const standardFontDataUrl = `${path.join(pdfjsDirectory, "standard_fonts")}${path.sep}`;

/** Text item as pdf.js returns it (`TextItem` in pdfjs-dist's api.d.ts). */
interface PdfjsTextItem {
  str: string;
  transform: number[];
  width: number;
  height: number;
  fontName: string;
  hasEOL: boolean;
}

interface PdfjsTextStyle {
  ascent?: number;
  descent?: number;
  vertical?: boolean;
}

/** A failure the parent turns into a typed AppError. */
class ExtractFailure extends Error {
  constructor(
    readonly reason: ExtractFailureReason,
    detail: string,
    readonly pageCount?: number,
  ) {
    super(detail);
  }
}

function send(message: ChildMessage): Promise<void> {
  // Waiting for each message to be flushed keeps a fast producer from piling pages up in memory.
  return new Promise((resolve, reject) => {
    if (!process.send) {
      reject(new Error("extract-pdf-child must be started with an IPC channel"));
      return;
    }
    process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}

async function extractDocument(request: ExtractRequest): Promise<void> {
  let data: Uint8Array;
  try {
    data = new Uint8Array(await readFile(request.filePath));
  } catch (error) {
    throw new ExtractFailure("unreadable_file", describe(error));
  }
  if (data.length === 0) throw new ExtractFailure("empty", "The file is 0 bytes long.");

  const loadingTask = getDocument({
    data,
    // CVE-2024-4367: never compile font programs into JavaScript functions.
    isEvalSupported: false,
    // Text only: no font faces, rendering, scripting or XFA.
    disableFontFace: true,
    useSystemFonts: false,
    enableXfa: false,
    isOffscreenCanvasSupported: false,
    isImageDecoderSupported: false,
    verbosity: VerbosityLevel.ERRORS,
    cMapUrl,
    cMapPacked: true,
    standardFontDataUrl,
  });
  try {
    const document = await loadingTask.promise.catch((error: unknown) => {
      throw classifyOpenError(error);
    });
    const pageCount = document.numPages;
    if (pageCount > request.maxPages) {
      throw new ExtractFailure("too_many_pages", `${pageCount} pages > ${request.maxPages}`, pageCount);
    }
    if (pageCount === 0) throw new ExtractFailure("malformed", "The document has no pages.");
    const title = await readTitle(document);
    await send({ type: "opened", requestId: request.requestId, pageCount, title });

    let unreadablePages = 0;
    for (let pageNumber = 1; pageNumber <= pageCount; pageNumber++) {
      const page = await extractPage(document, pageNumber);
      if (page.isUnreadable) unreadablePages++;
      await send({ type: "page", requestId: request.requestId, page });
    }
    if (unreadablePages === pageCount) {
      // Pages already streamed are discarded by the parent: the document as a whole fails.
      throw new ExtractFailure("malformed", "No page of the document could be read.");
    }
    await send({ type: "done", requestId: request.requestId });
  } finally {
    await loadingTask.destroy().catch(() => undefined);
  }
}

type PdfDocument = Awaited<ReturnType<typeof getDocument>["promise"]>;
type PdfPage = Awaited<ReturnType<PdfDocument["getPage"]>>;

async function extractPage(document: PdfDocument, pageNumber: number): Promise<ExtractedPage> {
  let page: PdfPage | null = null;
  let viewport: ReturnType<PdfPage["getViewport"]>;
  let content: Awaited<ReturnType<PdfPage["getTextContent"]>>;
  try {
    page = await document.getPage(pageNumber);
    viewport = page.getViewport({ scale: 1 });
    content = await page.getTextContent({ includeMarkedContent: false });
  } catch (error) {
    // A broken page (object or content stream) costs that page, not the document.
    if (isOutOfMemory(error)) throw new ExtractFailure("out_of_memory", describe(error));
    return { pageNumber, width: 0, height: 0, items: [], blocks: [], isUnreadable: true };
  } finally {
    page?.cleanup();
  }
  const items = convertTextItems(
    content.items as PdfjsTextItem[],
    content.styles as Record<string, PdfjsTextStyle>,
    viewport.transform,
  );
  return {
    pageNumber,
    width: round(viewport.width),
    height: round(viewport.height),
    items,
    blocks: segmentBlocks(items),
    isUnreadable: false,
  };
}

/**
 * pdf.js items → TextItems in top-left page points. Whitespace-only runs are dropped (the word
 * spacing is recovered from the gaps between boxes), but their end-of-line mark moves to the
 * run before them.
 */
function convertTextItems(
  items: readonly PdfjsTextItem[],
  styles: Record<string, PdfjsTextStyle>,
  viewportTransform: number[],
): TextItem[] {
  const converted: TextItem[] = [];
  for (const item of items) {
    if (typeof item.str !== "string") continue; // marked-content entries
    const text = item.str.replace(/\p{Cc}/gu, "");
    if (text.trim() === "") {
      const previous = converted.at(-1);
      if (item.hasEOL && previous) previous.hasEndOfLine = true;
      continue;
    }
    const box = toPageBox(item, styles[item.fontName], viewportTransform);
    if (!box) continue;
    const [, , c = 0, d = 0] = item.transform;
    converted.push({
      text,
      box,
      fontName: item.fontName.slice(0, 256),
      fontSize: round(Math.hypot(c, d)),
      hasEndOfLine: item.hasEOL === true,
    });
  }
  return converted;
}

/**
 * The run's rectangle in PDF user space (from its text matrix, advance and the font's ascent and
 * descent), mapped through the viewport transform (rotation, y flip, crop box offset) and
 * bounded by an axis-aligned box.
 */
function toPageBox(
  item: Pick<PdfjsTextItem, "transform" | "width" | "height">,
  style: PdfjsTextStyle | undefined,
  viewportTransform: readonly number[],
): BoundingBox | null {
  const [a = 1, b = 0, c = 0, d = 1, e = 0, f = 0] = item.transform;
  if (![a, b, c, d, e, f, item.width, item.height].every(Number.isFinite)) return null;
  const scaleX = Math.hypot(a, b);
  const scaleY = Math.hypot(c, d);
  // Unit vectors along the text direction and the glyphs' "up".
  const [directionX, directionY] = scaleX > 0 ? [a / scaleX, b / scaleX] : [1, 0];
  const [upX, upY] = scaleY > 0 ? [c / scaleY, d / scaleY] : [0, 1];

  let corners: [number, number][];
  if (style?.vertical) {
    // Vertical writing: pdf.js puts the origin one em below the top of the first glyph; the
    // column is one glyph wide and runs down by the advance (checked against poppler's boxes).
    const length = item.height;
    const glyphWidth = scaleX;
    corners = [
      [0, scaleY],
      [glyphWidth, scaleY],
      [0, scaleY - length],
      [glyphWidth, scaleY - length],
    ];
  } else {
    const ascent = clamp(style?.ascent, 0.5, 1.2, 0.8) * scaleY;
    const descent = clamp(style?.descent, -0.5, 0, -0.2) * scaleY;
    corners = [
      [0, descent],
      [item.width, descent],
      [0, ascent],
      [item.width, ascent],
    ];
  }

  const [va = 1, vb = 0, vc = 0, vd = 1, ve = 0, vf = 0] = viewportTransform;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const [along, across] of corners) {
    const userX = e + along * directionX + across * upX;
    const userY = f + along * directionY + across * upY;
    xs.push(va * userX + vc * userY + ve);
    ys.push(vb * userX + vd * userY + vf);
  }
  const box: BoundingBox = [
    round(Math.min(...xs)),
    round(Math.min(...ys)),
    round(Math.max(...xs)),
    round(Math.max(...ys)),
  ];
  return box.every(Number.isFinite) ? box : null;
}

async function readTitle(document: PdfDocument): Promise<string | null> {
  try {
    const { info, metadata } = await document.getMetadata();
    const infoTitle = (info as Record<string, unknown> | null)?.Title;
    // XMP first, as pdf.js's viewer does: it is Unicode and usually newer than the Info entry.
    return sanitizeTitle(metadata?.get("dc:title")) ?? sanitizeTitle(infoTitle);
  } catch {
    return null; // Broken metadata must not fail a readable document.
  }
}

/** Titles that producers fill in by themselves (seen in the corpus: Photoshop, ActiveReports, AutoCAD, Japanese Word). */
const placeholderTitles =
  /^(untitled( document)?|no title|title|document\s*\d*|slide \d+|presentation\s*\d*|adobe photoshop pdf|activereports document|model|layout\s*\d*|新規文書\s*\d*|無題)$/i;
const fileNameLike = /\.(docx?|pdf|tex|dvi|ps|rtf|odt|pptx?|xlsx?|indd|qxd|txt)$/i;

/** A title worth showing, or null: control and bidi-override characters removed, no placeholders or file names. */
function sanitizeTitle(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const text = value
    .replace(/[\p{Cc}\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffd]/gu, " ")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/^Microsoft (Word|PowerPoint|Excel) - /i, "");
  if (text.length < 2 || text.length > 300) return null;
  if (!/[\p{L}\p{N}]/u.test(text)) return null;
  if (placeholderTitles.test(text) || fileNameLike.test(text)) return null;
  return text;
}

function classifyOpenError(error: unknown): ExtractFailure {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === "PasswordException") return new ExtractFailure("encrypted", describe(error));
  if (isOutOfMemory(error)) return new ExtractFailure("out_of_memory", describe(error));
  // InvalidPDFException, FormatError, UnknownErrorException and anything else pdf.js throws
  // while opening: the file is the problem.
  return new ExtractFailure("malformed", describe(error));
}

/** V8 throws these (instead of dying) for single huge allocations. */
function isOutOfMemory(error: unknown): boolean {
  const message = (error as { message?: unknown } | null)?.message;
  return (
    error instanceof RangeError &&
    typeof message === "string" &&
    /Array buffer allocation failed|Invalid (typed )?array length|Invalid string length/.test(message)
  );
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 2000);
  return String(error).slice(0, 2000);
}

function clamp(value: number | undefined, min: number, max: number, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) && value >= min && value <= max
    ? value
    : fallback;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

// ---------------------------------------------------------------------------------------------

let queue: Promise<void> = Promise.resolve();

process.on("message", (raw: unknown) => {
  const parsed = extractRequestSchema.safeParse(raw);
  if (!parsed.success) {
    process.exitCode = 1;
    process.disconnect?.();
    return;
  }
  const request = parsed.data;
  queue = queue.then(async () => {
    try {
      await extractDocument(request);
    } catch (error) {
      // Anything not classified where pdf.js was called is a fault of ours, not of the file.
      const failure =
        error instanceof ExtractFailure ? error : new ExtractFailure("internal", describe(error));
      await send({
        type: "failed",
        requestId: request.requestId,
        reason: failure.reason,
        detail: failure.message.slice(0, 2000),
        ...(failure.pageCount === undefined ? {} : { pageCount: failure.pageCount }),
      });
    }
  });
  // A message that cannot be sent means the channel is gone: nothing left to do.
  queue = queue.catch(() => process.exit(1));
});

// The parent went away (it exited or disposed us): finish nothing, exit.
process.on("disconnect", () => process.exit(0));

// pdf.js runs its "worker" in this thread (Node has no web workers); loading it now, before
// "ready", keeps its start-up cost out of the first document's time budget.
// @ts-expect-error pdfjs-dist ships no type declarations for its worker module.
const workerModule: unknown = await import("pdfjs-dist/legacy/build/pdf.worker.mjs");
(globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = workerModule;
void send({ type: "ready" });
