import { readFile } from "node:fs/promises";
import sharp, { type Metadata, type Sharp, type SharpOptions } from "sharp";
import { AppError, isAppError } from "../../lib/errors";
import { decodeBmp, readBmpHeader } from "./bmp-decode";
import type { ImageMediaType } from "./detect-media-type";

export interface RasterPage {
  /** Size after EXIF orientation, in pixels. */
  width: number;
  height: number;
  /** A fresh decoding pipeline of the oriented page at each call. */
  source: () => Sharp;
}

export interface RasterImage {
  pageCount: number;
  openPage(pageIndex: number): Promise<RasterPage>;
}

interface Limits {
  maxImagePixels: number;
  maxPages: number;
}

const sharpFormatByMediaType: Record<Exclude<ImageMediaType, "image/svg+xml" | "image/bmp">, string> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/webp": "webp",
  "image/tiff": "tiff",
  "image/gif": "gif",
};

/**
 * Opens a raster image from its header only: pixel count and page count are checked here, before
 * any pixel is decoded (sharp's `metadata()` reads headers; BMPs are parsed by `bmp-decode`).
 * Decoding also carries sharp's own `limitInputPixels` in case a header lied. Only TIFFs have more
 * than one page: a GIF or WebP animation is read as its first frame.
 */
export async function openRasterImage(
  filePath: string,
  mediaType: Exclude<ImageMediaType, "image/svg+xml">,
  limits: Limits,
): Promise<RasterImage> {
  if (mediaType === "image/bmp") return openBmp(filePath, limits);

  const options = (page: number): SharpOptions => ({
    page,
    limitInputPixels: limits.maxImagePixels,
    failOn: "error",
    autoOrient: true,
  });
  // Headers are read without sharp's pixel limit (reading one decodes nothing) so that an
  // oversized image is refused below with its size, not as an unreadable file.
  const header = (page: number) => sharp(filePath, { ...options(page), limitInputPixels: false }).metadata();
  const first = await readMetadata(() => header(0));
  if (first.format !== sharpFormatByMediaType[mediaType]) {
    throw new AppError("invalid:image_malformed", {
      message: `The file starts like ${mediaType} but does not decode as one.`,
    });
  }
  const pageCount = mediaType === "image/tiff" ? (first.pages ?? 1) : 1;
  if (pageCount > limits.maxPages) {
    throw new AppError("invalid:image_too_many_pages", {
      message: `The image has ${pageCount} pages; at most ${limits.maxPages} are accepted.`,
      details: { pageCount, maxPages: limits.maxPages },
    });
  }
  checkPixels(first, limits);
  return {
    pageCount,
    async openPage(pageIndex) {
      const metadata = pageIndex === 0 ? first : await readMetadata(() => header(pageIndex));
      const { width, height } = checkPixels(metadata, limits);
      return { width, height, source: () => sharp(filePath, options(pageIndex)) };
    },
  };
}

async function openBmp(filePath: string, limits: Limits): Promise<RasterImage> {
  const file = await readFile(filePath);
  const header = readBmpHeader(file);
  checkPixels({ width: header.width, height: header.height }, limits);
  return {
    pageCount: 1,
    async openPage() {
      const raw = decodeBmp(file, header);
      const rawOptions = { raw: { width: raw.width, height: raw.height, channels: raw.channels } };
      return { width: raw.width, height: raw.height, source: () => sharp(raw.data, rawOptions) };
    },
  };
}

async function readMetadata(read: () => Promise<Metadata>): Promise<Metadata> {
  try {
    return await read();
  } catch (error) {
    if (isAppError(error)) throw error;
    throw new AppError("invalid:image_malformed", {
      message: "The image header cannot be read: the file is damaged or truncated.",
      cause: error,
    });
  }
}

/** Oriented size, refusing images over the pixel limit. */
function checkPixels(
  metadata: Pick<Metadata, "width" | "height"> & { orientation?: number },
  limits: Limits,
): { width: number; height: number } {
  const width = metadata.width ?? 0;
  const height = metadata.height ?? 0;
  if (width <= 0 || height <= 0) {
    throw new AppError("invalid:image_malformed", { message: "The image header gives no size." });
  }
  if (width * height > limits.maxImagePixels) {
    throw new AppError("invalid:image_too_large", {
      message: `The image is ${width} × ${height} pixels (${formatMegapixels(width * height)}); at most ${formatMegapixels(limits.maxImagePixels)} are accepted.`,
      details: { width, height, maxPixels: limits.maxImagePixels },
    });
  }
  const isTurned = (metadata.orientation ?? 1) >= 5;
  return isTurned ? { width: height, height: width } : { width, height };
}

function formatMegapixels(pixels: number): string {
  return `${Math.round(pixels / 100_000) / 10} MP`;
}
