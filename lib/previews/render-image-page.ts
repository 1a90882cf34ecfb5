import { open, stat } from "node:fs/promises";
import sharp, { type Metadata, type Sharp } from "sharp";
import { AppError, isAppError } from "../errors";
import type { RenderedPreview } from "./page-preview";

/** Raster types libvips decodes itself; SVG (librsvg could load local files) and BMP are not among them. */
const decodableBySharp = new Set(["image/png", "image/jpeg", "image/webp", "image/tiff", "image/gif"]);
/** A preview is never taller than this many times its width (a long screenshot stays readable). */
const maxAspect = 4;

/**
 * Renders one page of an image document (an image; a TIFF page) as a PNG `widthPx` wide at most.
 * Reads the original with sharp, EXIF-oriented, under the pixel limit; an SVG or BMP is previewed
 * from the PNG ingest kept of it (sanitised and decoded there), never decoded here.
 */
export async function renderImagePage(
  source: { original: string; mediaType: string; figureFile: string; maxImagePixels: number },
  request: { pageNumber: number; widthPx: number; outputPath: string },
): Promise<RenderedPreview> {
  const { pageNumber, widthPx, outputPath } = request;
  try {
    let input: Sharp;
    let pageSize: { width: number; height: number };
    if (decodableBySharp.has(source.mediaType)) {
      const options = {
        page: pageNumber - 1,
        limitInputPixels: source.maxImagePixels,
        failOn: "error",
        autoOrient: true,
      } as const;
      pageSize = orientedSize(
        await sharp(source.original, { ...options, limitInputPixels: false }).metadata(),
      );
      if (pageSize.width * pageSize.height > source.maxImagePixels) {
        throw new AppError("unavailable:preview", { message: "The image is too large to preview." });
      }
      input = sharp(source.original, options);
    } else {
      if (!(await stat(source.figureFile).catch(() => null))) {
        throw new AppError("unavailable:preview", { message: "Folio kept no picture of this page." });
      }
      const figure = await sharp(source.figureFile).metadata();
      pageSize =
        source.mediaType === "image/bmp"
          ? await bmpSize(source.original)
          : { width: figure.width ?? 0, height: figure.height ?? 0 };
      input = sharp(source.figureFile, { limitInputPixels: source.maxImagePixels });
    }
    const info = await input
      .resize({ width: widthPx, height: widthPx * maxAspect, fit: "inside", withoutEnlargement: true })
      .flatten({ background: "#ffffff" })
      .png()
      .toFile(outputPath);
    return { ...pageSize, unit: "px", widthPx: info.width, heightPx: info.height };
  } catch (error) {
    if (isAppError(error)) throw error;
    throw new AppError("unavailable:preview", { message: "This image could not be rendered.", cause: error });
  }
}

function orientedSize(metadata: Metadata): { width: number; height: number } {
  const width = metadata.width ?? 0;
  const height = metadata.height ?? 0;
  if (width <= 0 || height <= 0)
    throw new AppError("unavailable:preview", { message: "The image has no size." });
  return (metadata.orientation ?? 1) >= 5 ? { width: height, height: width } : { width, height };
}

/** A BMP's size from its header (ingest measured boxes in these pixels; the kept PNG may be smaller). */
async function bmpSize(filePath: string): Promise<{ width: number; height: number }> {
  const file = await open(filePath, "r");
  try {
    const header = Buffer.alloc(26);
    await file.read(header, 0, 26, 0);
    return { width: Math.abs(header.readInt32LE(18)), height: Math.abs(header.readInt32LE(22)) };
  } finally {
    await file.close();
  }
}
