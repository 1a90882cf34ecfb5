import path from "node:path";
import sharp, { type Sharp } from "sharp";
import type { BoundingBox } from "../../lib/domain/geometry";
import { AppError, isAppError } from "../../lib/errors";
import { ocrToPageBlocks } from "../ocr/ocr-to-blocks";
import { recognizeImage } from "../ocr/recognize-image";
import type { OcrEngine } from "../ocr/types";
import type { ExtractedPage, PageBlock } from "../types";
import type { ImageMediaType } from "./detect-media-type";
import { openRasterImage } from "./image-source";
import { renderSvg } from "./render-svg";

export interface ImageExtractionInput {
  filePath: string;
  mediaType: ImageMediaType;
  /** Existing directory the figure PNGs are written to (the document's derived `figures/`). */
  figureDirectory: string;
}

export interface ImageExtractionDependencies {
  ocr: OcrEngine;
  limits: {
    /** Images (or TIFF pages) with more pixels, by their header, are refused before decoding. */
    maxImagePixels: number;
    /** TIFFs with more pages are refused (`MAX_PDF_PAGES`). */
    maxPages: number;
  };
  signal?: AbortSignal;
}

export interface ImageDocument {
  pageCount: number;
  /** An SVG's `<title>`; null for raster images. */
  title: string | null;
  /** One page per image (per TIFF page), read one at a time as the caller asks. */
  pages: AsyncGenerator<ExtractedPage>;
}

/** Longest side of a figure PNG kept for answers and vision models. */
export const figureMaxSidePx = 2048;
/** A figure block's text (its OCR text or labels) is cut to this many characters. */
const figureTextMaxCharacters = 2000;

/**
 * An image file as a document: each image (each TIFF page; a GIF's first frame) is a page in
 * pixels, holding OCR text blocks and one figure block for the whole image, saved as a PNG.
 * SVGs give their own text (and OCR when their text is outlined) and a sanitised render.
 *
 * Headers are checked when this resolves (size, pages); pages decode lazily. Failures are
 * AppErrors: `invalid:image_too_large`, `invalid:image_too_many_pages`, `invalid:image_malformed`,
 * `unsupported:file_type` (compressed BMP), and the OCR engine's `invalid:page_timeout`.
 */
export async function extractImage(
  input: ImageExtractionInput,
  dependencies: ImageExtractionDependencies,
): Promise<ImageDocument> {
  if (input.mediaType === "image/svg+xml") {
    const svg = await renderSvg(input.filePath, dependencies.limits);
    return { pageCount: 1, title: svg.title, pages: readSvgPage(svg, input, dependencies) };
  }
  const image = await openRasterImage(input.filePath, input.mediaType, dependencies.limits);
  return { pageCount: image.pageCount, title: null, pages: readRasterPages(image, input, dependencies) };
}

async function* readRasterPages(
  image: Awaited<ReturnType<typeof openRasterImage>>,
  input: ImageExtractionInput,
  dependencies: ImageExtractionDependencies,
): AsyncGenerator<ExtractedPage> {
  for (let pageNumber = 1; pageNumber <= image.pageCount; pageNumber += 1) {
    const page = await image.openPage(pageNumber - 1);
    const figure = await writeFigure(page.source(), input.figureDirectory, pageNumber);
    const { result, scale } = await recognizeImage(dependencies.ocr, page.source, page, {
      signal: dependencies.signal,
    });
    const textBlocks = ocrToPageBlocks(result, { scale, offsetX: 0, offsetY: 0 });
    yield {
      pageNumber,
      width: page.width,
      height: page.height,
      blocks: [figureBlock(figure, page, textBlocks, "ocr"), ...textBlocks],
      route: "ocr",
      isUnreadable: false,
    };
  }
}

async function* readSvgPage(
  svg: Awaited<ReturnType<typeof renderSvg>>,
  input: ImageExtractionInput,
  dependencies: ImageExtractionDependencies,
): AsyncGenerator<ExtractedPage> {
  const size = { width: svg.width, height: svg.height };
  const source = () => sharp(svg.png);
  const figure = await writeFigure(source(), input.figureDirectory, 1);
  const whole: BoundingBox = [0, 0, svg.width, svg.height];
  const labelBlocks = svg.labels.map(
    (text): PageBlock => ({ kind: "text", text, box: whole, source: "text_layer", confidence: null }),
  );
  // Outlined text (paths instead of glyphs) leaves an SVG with few or no labels: read the render.
  const letterCount = svg.labels.join("").match(/\p{L}/gu)?.length ?? 0;
  let ocrBlocks: PageBlock[] = [];
  if (letterCount < 20) {
    const { result, scale } = await recognizeImage(dependencies.ocr, source, size, {
      signal: dependencies.signal,
    });
    ocrBlocks = ocrToPageBlocks(result, { scale, offsetX: 0, offsetY: 0 });
  }
  const textBlocks = [...labelBlocks, ...ocrBlocks];
  const route = ocrBlocks.length === 0 ? "text_layer" : labelBlocks.length === 0 ? "ocr" : "mixed";
  yield {
    pageNumber: 1,
    width: svg.width,
    height: svg.height,
    blocks: [
      figureBlock(figure, size, textBlocks, ocrBlocks.length > 0 ? "ocr" : "text_layer"),
      ...textBlocks,
    ],
    route,
    isUnreadable: false,
  };
}

interface WrittenFigure {
  file: string;
  widthPx: number;
  heightPx: number;
}

async function writeFigure(image: Sharp, directory: string, pageNumber: number): Promise<WrittenFigure> {
  const file = `p${pageNumber}-image.png`;
  try {
    const info = await image
      .resize({ width: figureMaxSidePx, height: figureMaxSidePx, fit: "inside", withoutEnlargement: true })
      .png()
      .toFile(path.join(directory, file));
    return { file, widthPx: info.width, heightPx: info.height };
  } catch (error) {
    throw asImageError(error);
  }
}

function figureBlock(
  figure: WrittenFigure,
  size: { width: number; height: number },
  textBlocks: readonly PageBlock[],
  source: PageBlock["source"],
): PageBlock {
  const text = textBlocks
    .map((block) => block.text)
    .join("\n")
    .trim();
  const confidences = textBlocks.flatMap((block) => (block.confidence === null ? [] : [block.confidence]));
  return {
    kind: "figure",
    text: text.length > figureTextMaxCharacters ? `${text.slice(0, figureTextMaxCharacters - 1)}…` : text,
    box: [0, 0, size.width, size.height],
    source,
    confidence:
      confidences.length === 0
        ? null
        : confidences.reduce((sum, value) => sum + value, 0) / confidences.length,
    figure: { file: figure.file, caption: null, widthPx: figure.widthPx, heightPx: figure.heightPx },
  };
}

/** sharp's errors as typed reasons: its pixel limit is "too large", anything else "malformed". */
export function asImageError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) {
    return new AppError("invalid:image_too_large", {
      message: "The image has too many pixels.",
      cause: error,
    });
  }
  return new AppError("invalid:image_malformed", {
    message: "The image is damaged or not what its header says.",
    cause: error,
  });
}
