/**
 * The child side of the PDF process pool (pdf-process-pool.ts): runs pdf.js on request over IPC
 * (messages in pdf-protocol.ts). For each page it reads the text layer, finds images and rules
 * in the operator list when the document has images or the text layer is poor, renders what
 * needs OCR or is a figure (with @napi-rs/canvas), and streams one message per page. Started
 * under an OS memory limit and `--max-old-space-size`; the parent kills it when a page takes too
 * long. Never import this module: it starts listening as soon as it is loaded.
 */
// First: it must see the built-ins before pdf.js replaces them.
import { restoreNativeBuiltins } from "./keep-native-builtins";
import "./pdf-canvas";
import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { getDocument, OPS, VerbosityLevel } from "pdfjs-dist/legacy/build/pdf.mjs";
import type { BoundingBox } from "../../lib/domain/geometry";
import { analyzePage } from "../layout/analyze-page";
import { mayHoldTable } from "../layout/find-tables";
import { createHeadingStyles, type HeadingStyles, isBoldFontName } from "../layout/headings";
import { rulingsFromOperatorList } from "../layout/page-rulings";
import type { ExtractedPage, PageBlock, TextItem } from "../types";
import { fitPageMessage } from "./fit-page-message";
import { type Canvas, createCanvas, NapiCanvasFactory } from "./pdf-canvas";
import { imagePlacements } from "./pdf-page-graphics";
import { findCaption, mayHaveFigure, type PagePlan, planPage, textLayerQuality } from "./pdf-page-plan";
import {
  type ChildMessage,
  childRequestSchema,
  type ExtractFailureReason,
  type ExtractRequest,
  type OcrTask,
  type RenderRequest,
} from "./pdf-protocol";
import { convertTextItems, type PdfjsTextItem, type PdfjsTextStyle, round } from "./pdf-text-items";
import { readTitle } from "./pdf-title";

/** CMaps let pdf.js map CJK and other CID fonts to Unicode; the standard fonts give metrics. */
const pdfjsDirectory = path.dirname(createRequire(import.meta.url).resolve("pdfjs-dist/package.json"));
const cMapUrl = `${path.join(pdfjsDirectory, "cmaps")}${path.sep}`;
const standardFontDataUrl = `${path.join(pdfjsDirectory, "standard_fonts")}${path.sep}`;
const wasmUrl = `${path.join(pdfjsDirectory, "wasm")}${path.sep}`;

/** OCR wants ~300 dpi; a page render is capped so a poster-sized page cannot exhaust memory. */
const ocrScale = 300 / 72;
const figureScale = 2;
const maxRenderSidePx = 4000;
/** Figure crops are kept at most this big (longest side). */
const maxFigureSidePx = 2048;
/**
 * Image XObjects with more pixels are dropped by pdf.js from their dictionary, never decoded
 * (SECURITY.md B5: a pixel flood inside a PDF). The default of MAX_IMAGE_PIXELS; a 600 dpi A4
 * scan is 35 MP.
 */
const maxImagePixels = 50_000_000;

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
      reject(new Error("pdf-child must be started with an IPC channel"));
      return;
    }
    process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}

type PdfDocument = Awaited<ReturnType<typeof getDocument>["promise"]>;
type PdfPage = Awaited<ReturnType<PdfDocument["getPage"]>>;

interface OpenDocument {
  key: string;
  document: PdfDocument;
  destroy: () => Promise<void>;
  title: string | null;
  /** The file has image XObjects somewhere: pages are scanned for where they are drawn. */
  hasImages: boolean;
  /** What numbered headings look like in this document, learnt page by page. */
  headingStyles: HeadingStyles;
}

/** The last document asked for: a large document arrives as several page ranges. */
let openDocument: OpenDocument | null = null;

async function closeDocument(): Promise<void> {
  const current = openDocument;
  openDocument = null;
  await current?.destroy().catch(() => undefined);
}

async function open(filePath: string, password: string | undefined): Promise<OpenDocument> {
  const key = `${filePath}\u0000${password ?? ""}`;
  if (openDocument?.key === key) return openDocument;
  await closeDocument();
  let data: Uint8Array;
  try {
    data = new Uint8Array(await readFile(filePath));
  } catch (error) {
    throw new ExtractFailure("unreadable_file", describe(error));
  }
  if (data.length === 0) throw new ExtractFailure("empty", "The file is 0 bytes long.");
  const raw = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("latin1");
  // Image XObject dictionaries are never inside compressed object streams, so this finds them.
  const hasImages = /\/Subtype\s*\/Image\b/.test(raw);

  let loaded = await load(data, password);
  if (loaded.error && isPasswordError(loaded.error) && !password && encryptsOnlyAttachments(raw)) {
    // Strings and streams are not encrypted (Identity filters), only embedded files are: read
    // the document as if it were not encrypted (the attachment itself is never read).
    loaded = await load(new Uint8Array(Buffer.from(hideEncryptEntry(raw), "latin1")), undefined);
  }
  if (loaded.document === undefined) throw classifyOpenError(loaded.error, password !== undefined);
  const document = loaded.document;
  const title = await readTitle(document);
  const opened: OpenDocument = {
    key,
    document,
    destroy: loaded.destroy,
    title,
    hasImages,
    headingStyles: createHeadingStyles(),
  };
  openDocument = opened;
  return opened;
}

async function load(
  data: Uint8Array,
  password: string | undefined,
): Promise<
  | { document: PdfDocument; destroy: () => Promise<void>; error?: undefined }
  | { error: unknown; document?: undefined; destroy?: undefined }
> {
  const loadingTask = getDocument({
    data,
    password,
    // CVE-2024-4367: never compile font programs into JavaScript functions.
    isEvalSupported: false,
    // No font faces (glyphs are drawn as paths), scripting or XFA.
    disableFontFace: true,
    useSystemFonts: false,
    enableXfa: false,
    isOffscreenCanvasSupported: false,
    isImageDecoderSupported: false,
    maxImageSize: maxImagePixels,
    verbosity: VerbosityLevel.ERRORS,
    cMapUrl,
    cMapPacked: true,
    standardFontDataUrl,
    wasmUrl,
    CanvasFactory: NapiCanvasFactory,
  });
  try {
    const document = await loadingTask.promise;
    return { document, destroy: () => loadingTask.destroy() };
  } catch (error) {
    await loadingTask.destroy().catch(() => undefined);
    return { error };
  }
}

/** An /Encrypt whose stream and string filters are /Identity: only attachments (/EFF) are encrypted. */
function encryptsOnlyAttachments(raw: string): boolean {
  return /\/EFF\b/.test(raw) && /\/StmF\s*\/Identity\b/.test(raw) && /\/StrF\s*\/Identity\b/.test(raw);
}

/** Renames the trailer's /Encrypt key (same length, so every offset stays valid). */
function hideEncryptEntry(raw: string): string {
  return raw.replace(/\/Encrypt(?=[\s/<[0-9])/g, "/Encryp_");
}

async function extractRange(request: ExtractRequest): Promise<void> {
  const opened = await open(request.filePath, request.password);
  const pageCount = opened.document.numPages;
  if (pageCount > request.maxPages) {
    throw new ExtractFailure("too_many_pages", `${pageCount} pages > ${request.maxPages}`, pageCount);
  }
  if (pageCount === 0) throw new ExtractFailure("malformed", "The document has no pages.");
  await send({ type: "opened", requestId: request.requestId, pageCount, title: opened.title });
  const lastPage = Math.min(request.lastPage, pageCount);
  for (let pageNumber = request.firstPage; pageNumber <= lastPage; pageNumber++) {
    const extracted = await extractPage(opened, pageNumber, request);
    const { page, ocr } = fitPageMessage(extracted.page, extracted.ocr);
    await send({ type: "page", requestId: request.requestId, page, ocr });
  }
  await send({ type: "done", requestId: request.requestId });
}

async function extractPage(
  opened: OpenDocument,
  pageNumber: number,
  request: ExtractRequest,
): Promise<{ page: ExtractedPage; ocr: OcrTask[] }> {
  let page: PdfPage | null = null;
  try {
    page = await opened.document.getPage(pageNumber);
    const viewport = page.getViewport({ scale: 1 });
    const content = await page.getTextContent({ includeMarkedContent: false });
    const items = convertTextItems(
      content.items as PdfjsTextItem[],
      content.styles as Record<string, PdfjsTextStyle>,
      viewport.transform,
    );
    const size = { width: round(viewport.width), height: round(viewport.height) };
    const quality = textLayerQuality(items);
    // The operator list costs as much as the text: it is read only for what it can tell here —
    // where images are (files with images, pages not dense with text), table rules and bold fonts.
    const wantsImages = opened.hasImages && (quality !== "good" || mayHaveFigure(items, size));
    const wantsRulings = quality === "good" && mayHoldTable(items);
    const operatorList = wantsImages || wantsRulings ? await page.getOperatorList() : null;
    const images = operatorList && wantsImages ? imagePlacements(operatorList, OPS, viewport) : [];
    const plan = planPage(items, quality, images, size);
    const textBlocks: PageBlock[] =
      plan.route === "ocr"
        ? []
        : analyzePage(
            items,
            size,
            operatorList ? rulingsFromOperatorList(operatorList, OPS, viewport.transform) : [],
            {
              headingStyles: opened.headingStyles,
              ...(operatorList ? { boldFonts: boldFontsOf(page, items) } : {}),
            },
          );
    const rendered = await renderForPlan(page, pageNumber, plan, textBlocks, request);
    return {
      page: {
        pageNumber,
        ...size,
        blocks: [...textBlocks, ...rendered.figureBlocks],
        route: rendered.isBlank ? "text_layer" : plan.route,
        isUnreadable: false,
      },
      ocr: rendered.ocr,
    };
  } catch (error) {
    if (error instanceof ExtractFailure) throw error;
    // A broken page (object or content stream) costs that page, not the document.
    if (isOutOfMemory(error)) throw new ExtractFailure("out_of_memory", describe(error));
    return {
      page: { pageNumber, width: 0, height: 0, blocks: [], route: "text_layer", isUnreadable: true },
      ocr: [],
    };
  } finally {
    page?.cleanup();
  }
}

/**
 * Font ids of the page whose PostScript names say bold. pdf.js knows the names only once the
 * operator list has loaded the fonts.
 */
function boldFontsOf(page: PdfPage, items: readonly TextItem[]): Set<string> {
  const bold = new Set<string>();
  for (const fontName of new Set(items.map((item) => item.fontName))) {
    try {
      const font = page.commonObjs.get(fontName) as { name?: unknown } | null;
      if (typeof font?.name === "string" && isBoldFontName(font.name)) bold.add(fontName);
    } catch {
      // Not loaded: weight plays no part for this font.
    }
  }
  return bold;
}

/**
 * Renders the page once when anything on it needs pixels: the whole page for OCR, and figure
 * crops (written as PNG, OCR'd too when they have no text layer).
 */
async function renderForPlan(
  page: PdfPage,
  pageNumber: number,
  plan: PagePlan,
  textBlocks: readonly PageBlock[],
  request: ExtractRequest,
): Promise<{ figureBlocks: PageBlock[]; ocr: OcrTask[]; isBlank: boolean }> {
  const needsOcr = plan.route !== "text_layer";
  const needsFigures = plan.figures.length > 0 && request.figureDirectory !== null;
  if (!needsOcr && !needsFigures) {
    return {
      figureBlocks: plan.figures.map((figure) => figureBlock(figure.box, null, textBlocks)),
      ocr: [],
      isBlank: false,
    };
  }
  const unscaled = page.getViewport({ scale: 1 });
  const scale = Math.min(
    needsOcr ? ocrScale : figureScale,
    maxRenderSidePx / Math.max(unscaled.width, unscaled.height, 1),
  );
  const viewport = page.getViewport({ scale });
  const canvas = createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height));
  const context = canvas.getContext("2d");
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  await page.render({ canvas: canvas as never, canvasContext: context as never, viewport }).promise;

  const ocr: OcrTask[] = [];
  // A page with no text layer that renders blank, or with only a rule or two (separator pages,
  // the back of a scan), has nothing for OCR to read: it is kept as an empty page.
  const isBlank = plan.route === "ocr" && hasNothingToRead(canvas);
  if (plan.route === "ocr" && !isBlank) {
    const file = path.join(request.workDirectory, `p${pageNumber}-page.png`);
    await writeFile(file, await canvas.encode("png"));
    ocr.push({ file, target: "page", region: [0, 0, unscaled.width, unscaled.height], scale });
  }
  const figureBlocks: PageBlock[] = [];
  for (const [index, figure] of plan.figures.entries()) {
    const name = `p${pageNumber}-f${index + 1}.png`;
    let crop: { widthPx: number; heightPx: number; scale: number } | null = null;
    if (request.figureDirectory) {
      crop = await writeCrop(canvas, figure.box, scale, path.join(request.figureDirectory, name));
    }
    const block = figureBlock(figure.box, crop && { file: name, ...crop }, textBlocks);
    figureBlocks.push(block);
    if (crop && figure.needsOcr && request.figureDirectory) {
      ocr.push({
        file: path.join(request.figureDirectory, name),
        target: textBlocks.length + index,
        region: figure.box,
        scale: crop.scale,
      });
    }
  }
  return { figureBlocks, ocr, isBlank };
}

/**
 * Nothing OCR could read: shrunk 8× (each sample averages 64 pixels, so a word still shows as
 * a grey band several samples tall), the ink forms only thin lines — every band of rows with ink
 * is at most 2 samples tall (horizontal rules), or every band of columns at most 2 wide
 * (vertical rules). A blank page has no bands at all.
 */
function hasNothingToRead(canvas: Canvas): boolean {
  const width = Math.max(1, Math.ceil(canvas.width / 8));
  const height = Math.max(1, Math.ceil(canvas.height / 8));
  const small = createCanvas(width, height);
  const context = small.getContext("2d");
  context.drawImage(canvas, 0, 0, width, height);
  const { data } = context.getImageData(0, 0, width, height);
  const inkRows = new Uint8Array(height);
  const inkColumns = new Uint8Array(width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const index = (y * width + x) * 4;
      const luminance =
        0.299 * (data[index] ?? 255) + 0.587 * (data[index + 1] ?? 255) + 0.114 * (data[index + 2] ?? 255);
      if (luminance < 230) {
        inkRows[y] = 1;
        inkColumns[x] = 1;
      }
    }
  }
  return longestRun(inkRows) <= 2 || longestRun(inkColumns) <= 2;
}

function longestRun(flags: Uint8Array): number {
  let longest = 0;
  let run = 0;
  for (const flag of flags) {
    run = flag ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

function figureBlock(
  box: BoundingBox,
  image: { file: string; widthPx: number; heightPx: number } | null,
  textBlocks: readonly PageBlock[],
): PageBlock {
  const caption = findCaption(box, textBlocks);
  return {
    kind: "figure",
    text: caption ?? "",
    box,
    source: "text_layer",
    confidence: null,
    ...(image
      ? { figure: { file: image.file, caption, widthPx: image.widthPx, heightPx: image.heightPx } }
      : {}),
  };
}

async function writeCrop(
  canvas: Canvas,
  box: BoundingBox,
  scale: number,
  outputPath: string,
): Promise<{ widthPx: number; heightPx: number; scale: number }> {
  const sourceX = Math.max(0, Math.floor(box[0] * scale));
  const sourceY = Math.max(0, Math.floor(box[1] * scale));
  const sourceWidth = Math.max(1, Math.min(canvas.width - sourceX, Math.ceil((box[2] - box[0]) * scale)));
  const sourceHeight = Math.max(1, Math.min(canvas.height - sourceY, Math.ceil((box[3] - box[1]) * scale)));
  const shrink = Math.min(1, maxFigureSidePx / Math.max(sourceWidth, sourceHeight));
  const widthPx = Math.max(1, Math.round(sourceWidth * shrink));
  const heightPx = Math.max(1, Math.round(sourceHeight * shrink));
  const crop = createCanvas(widthPx, heightPx);
  crop
    .getContext("2d")
    .drawImage(canvas, sourceX, sourceY, sourceWidth, sourceHeight, 0, 0, widthPx, heightPx);
  await writeFile(outputPath, await crop.encode("png"));
  return { widthPx, heightPx, scale: scale * shrink };
}

async function renderPage(request: RenderRequest): Promise<void> {
  const opened = await open(request.filePath, request.password);
  if (request.pageNumber > opened.document.numPages) {
    throw new ExtractFailure("no_such_page", `page ${request.pageNumber} of ${opened.document.numPages}`);
  }
  const page = await opened.document.getPage(request.pageNumber);
  try {
    const unscaled = page.getViewport({ scale: 1 });
    const scale = request.widthPx / Math.max(1, unscaled.width);
    const viewport = page.getViewport({
      scale: Math.min(scale, maxRenderSidePx / Math.max(unscaled.width, unscaled.height, 1)),
    });
    const canvas = createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height));
    const context = canvas.getContext("2d");
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    await page.render({ canvas: canvas as never, canvasContext: context as never, viewport }).promise;
    await writeFile(request.outputPath, await canvas.encode("png"));
    await send({
      type: "rendered",
      requestId: request.requestId,
      widthPx: canvas.width,
      heightPx: canvas.height,
      pageWidth: unscaled.width,
      pageHeight: unscaled.height,
    });
  } finally {
    page.cleanup();
  }
}

function isPasswordError(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === "PasswordException";
}

function classifyOpenError(error: unknown, hadPassword: boolean): ExtractFailure {
  if (isPasswordError(error)) {
    // pdf.js: code 1 = a password is needed, 2 = the one given is wrong.
    const code = (error as { code?: unknown }).code;
    return new ExtractFailure(hadPassword && code === 2 ? "wrong_password" : "encrypted", describe(error));
  }
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

// ---------------------------------------------------------------------------------------------

let queue: Promise<void> = Promise.resolve();

process.on("message", (raw: unknown) => {
  const parsed = childRequestSchema.safeParse(raw);
  if (!parsed.success) {
    process.exitCode = 1;
    process.disconnect?.();
    return;
  }
  const request = parsed.data;
  queue = queue.then(async () => {
    if (request.type === "close") {
      await closeDocument();
      return;
    }
    try {
      if (request.type === "extract") await extractRange(request);
      else await renderPage(request);
    } catch (error) {
      // A failed document is not kept open.
      await closeDocument();
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
restoreNativeBuiltins();
void send({ type: "ready" });
