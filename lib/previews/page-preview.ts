import { randomUUID } from "node:crypto";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import type { PageGeometry } from "../domain/page-geometry";
import { AppError, isAppError } from "../errors";
import type { Folio } from "../runtime";
import type { DerivedStore, PreviewSize } from "../storage/derived-store";
import { renderImagePage } from "./render-image-page";

/** Preview widths in pixels: a strip of thumbnails, and a page read beside an answer. */
export const previewWidthPx: Record<PreviewSize, number> = { thumbnail: 240, reading: 1200 };

export interface PagePreview {
  /** The cached PNG, complete (written under a temporary name, then renamed). */
  filePath: string;
  geometry: PageGeometry;
}

/** The version of a document whose page is previewed (a `document_versions` row). */
export interface PreviewVersion {
  sha256: string;
  mediaType: string;
  /** Null until the version is indexed: then nothing is previewed yet. */
  pageCount: number | null;
}

export interface PagePreviewDependencies {
  blobs: { pathOf(sha256: string): string };
  derived: DerivedStore;
  /** Renders a PDF page in the parser pool (a child process with a time limit). */
  renderPdfPage(
    filePath: string,
    options: { pageNumber: number; widthPx: number; outputPath: string },
  ): Promise<{ widthPx: number; heightPx: number; pageWidth: number; pageHeight: number }>;
  /** Images with more pixels (by their header) are never decoded. */
  maxImagePixels: number;
}

/** The preview parts of a running Folio: its stores and its PDF parser pool. */
export function previewDependenciesOf(
  folio: Pick<Folio, "blobs" | "derived" | "ingest" | "config">,
): PagePreviewDependencies {
  return {
    blobs: folio.blobs,
    derived: folio.derived,
    renderPdfPage: (filePath, options) => folio.ingest.reader.renderPdfPage(filePath, options),
    maxImagePixels: folio.config.limits.maxImagePixels,
  };
}

/** What a page render hands back before it is moved into place. */
export type RenderedPreview = Omit<PageGeometry, "pageNumber" | "pageCount">;

/** Renders of this process in flight, by target file: concurrent requests share one. */
const inFlight = new Map<string, Promise<PagePreview>>();
/** Pages that failed to render, by target file, so a slow or broken page is not retried at once. */
const recentFailures = new Map<string, { error: AppError; untilMs: number }>();
const failureMemoryMs = 10 * 60_000;
const maxRememberedFailures = 10_000;

/**
 * The page's preview PNG, rendered on first request and cached under the version's derived
 * directory (shared by every document holding the same bytes). Renders run once per page and
 * size in a process; across processes each writes a temporary file and renames it, so a reader
 * never sees half a PNG. Errors: `not_found:page_number` beyond the version's pages,
 * `unavailable:preview` when the page cannot be rendered (a password-protected PDF: the password
 * is never stored).
 */
export async function pagePreview(
  dependencies: PagePreviewDependencies,
  request: { version: PreviewVersion; pageNumber: number; size: PreviewSize },
): Promise<PagePreview> {
  const { version, pageNumber, size } = request;
  const pageCount = version.pageCount;
  if (pageCount === null || !Number.isInteger(pageNumber) || pageNumber < 1 || pageNumber > pageCount) {
    throw new AppError("not_found:page_number", { message: "The document has no such page." });
  }
  const filePath = dependencies.derived.pathOf(version.sha256, { kind: "preview", pageNumber, size });
  const cached = await readCached(filePath, pageNumber, pageCount);
  if (cached) return cached;

  const failure = recentFailures.get(filePath);
  if (failure && failure.untilMs > Date.now()) throw failure.error;
  const running = inFlight.get(filePath);
  if (running) return running;
  const rendering = renderOnce(dependencies, { version, pageNumber, pageCount, size, filePath });
  inFlight.set(filePath, rendering);
  try {
    return await rendering;
  } catch (error) {
    if (isAppError(error) && error.code === "unavailable:preview") rememberFailure(filePath, error);
    throw error;
  } finally {
    inFlight.delete(filePath);
  }
}

function rememberFailure(filePath: string, error: AppError): void {
  const nowMs = Date.now();
  if (recentFailures.size >= maxRememberedFailures) {
    for (const [key, failure] of recentFailures) if (failure.untilMs <= nowMs) recentFailures.delete(key);
    // Still full of live entries: forget the oldest (a Map iterates in insertion order).
    const oldest = recentFailures.keys().next();
    if (recentFailures.size >= maxRememberedFailures && !oldest.done) recentFailures.delete(oldest.value);
  }
  recentFailures.set(filePath, { error, untilMs: nowMs + failureMemoryMs });
}

/** The page's geometry file sits beside its PNG. */
function geometryPathOf(filePath: string): string {
  return filePath.replace(/\.png$/, ".json");
}

async function readCached(
  filePath: string,
  pageNumber: number,
  pageCount: number,
): Promise<PagePreview | null> {
  const [image, geometry] = await Promise.all([
    stat(filePath).catch(() => null),
    readFile(geometryPathOf(filePath), "utf8").catch(() => null),
  ]);
  if (!image || geometry === null) return null;
  const parsed = parseGeometry(geometry);
  return parsed ? { filePath, geometry: { pageNumber, pageCount, ...parsed } } : null;
}

/** Our own file, but read back defensively: a damaged one is re-rendered, never trusted. */
function parseGeometry(text: string): RenderedPreview | null {
  try {
    const value = JSON.parse(text) as Partial<RenderedPreview>;
    const isSize = (n: unknown) => typeof n === "number" && Number.isFinite(n) && n > 0;
    if (![value.width, value.height, value.widthPx, value.heightPx].every(isSize)) return null;
    if (value.unit !== "pt" && value.unit !== "px") return null;
    return value as RenderedPreview;
  } catch {
    return null;
  }
}

async function renderOnce(
  dependencies: PagePreviewDependencies,
  target: {
    version: PreviewVersion;
    pageNumber: number;
    pageCount: number;
    size: PreviewSize;
    filePath: string;
  },
): Promise<PagePreview> {
  const { version, pageNumber, pageCount, size, filePath } = target;
  await dependencies.derived.ensureDirectories(version.sha256);
  // The extension stays .png: sharp picks its output format from the name.
  const temporary = `${filePath}.${process.pid}-${randomUUID()}.tmp.png`;
  const temporaryGeometry = `${temporary}.json`;
  try {
    const rendered = await renderPage(dependencies, version, pageNumber, previewWidthPx[size], temporary);
    // The geometry lands first: a PNG in place always has its geometry beside it.
    await writeFile(temporaryGeometry, JSON.stringify(rendered));
    await rename(temporaryGeometry, geometryPathOf(filePath));
    await rename(temporary, filePath);
    return { filePath, geometry: { pageNumber, pageCount, ...rendered } };
  } finally {
    await Promise.all([rm(temporary, { force: true }), rm(temporaryGeometry, { force: true })]);
  }
}

async function renderPage(
  dependencies: PagePreviewDependencies,
  version: PreviewVersion,
  pageNumber: number,
  widthPx: number,
  outputPath: string,
): Promise<RenderedPreview> {
  const original = dependencies.blobs.pathOf(version.sha256);
  if (version.mediaType === "application/pdf") {
    try {
      const page = await dependencies.renderPdfPage(original, { pageNumber, widthPx, outputPath });
      return {
        width: page.pageWidth,
        height: page.pageHeight,
        unit: "pt",
        widthPx: page.widthPx,
        heightPx: page.heightPx,
      };
    } catch (error) {
      throw asPreviewError(error);
    }
  }
  if (version.mediaType.startsWith("image/")) {
    return renderImagePage(
      {
        original,
        mediaType: version.mediaType,
        figureFile: dependencies.derived.pathOf(version.sha256, {
          kind: "figure",
          name: `p${pageNumber}-image.png`,
        }),
        maxImagePixels: dependencies.maxImagePixels,
      },
      { pageNumber, widthPx, outputPath },
    );
  }
  throw new AppError("unavailable:preview", { message: "Folio cannot show pages of this kind of file." });
}

/** The renderer's reasons, as what a reader of the page needs to know. */
function asPreviewError(error: unknown): unknown {
  if (!isAppError(error)) return error;
  switch (error.code) {
    case "invalid:pdf_encrypted":
    case "invalid:pdf_wrong_password":
      return new AppError("unavailable:preview", {
        message: "Preview not available for a password-protected document.",
        details: { reason: "password" },
        cause: error,
      });
    case "not_found:page_number":
      return error;
    default:
      if (error.category !== "invalid") return error;
      return new AppError("unavailable:preview", {
        message: "This page could not be rendered.",
        details: { reason: "render" },
        cause: error,
      });
  }
}
