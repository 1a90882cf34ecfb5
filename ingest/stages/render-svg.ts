import { readFile, stat } from "node:fs/promises";
import sharp from "sharp";
import { AppError, isAppError } from "../../lib/errors";
import { parseSvg, svgLimits } from "./svg-parse";
import { collectDataUrls, sanitizeSvg } from "./svg-sanitize";
import { extractSvgLabels } from "./svg-text";

export interface RenderedSvg {
  title: string | null;
  labels: string[];
  /** The sanitised drawing as PNG (transparent background), `width` × `height` pixels. */
  png: Buffer;
  width: number;
  height: number;
  /** The SVG after sanitising: what was rendered. */
  sanitized: string;
}

/** Renders are scaled so their longest side falls in this range (small icons are enlarged for OCR). */
const renderMinSidePx = 1024;
const renderMaxSidePx = 2048;
/** librsvg's default resolution: an SVG's intrinsic size in pixels is at 72 DPI in sharp. */
const baseDensity = 72;

/**
 * Reads an SVG's text and renders a sanitised copy with sharp (librsvg): nothing is fetched and
 * nothing runs (see `sanitizeSvg`). Embedded raster images must be within the pixel limit by their
 * own headers or are dropped. The render is capped at 2048 px whatever size the SVG declares.
 */
export async function renderSvg(filePath: string, limits: { maxImagePixels: number }): Promise<RenderedSvg> {
  const { size } = await stat(filePath);
  if (size > svgLimits.maxCharacters) {
    throw new AppError("invalid:image_too_large", { message: "The SVG file is too large to parse." });
  }
  const root = parseSvg(await readFile(filePath, "utf8"));
  const { title, labels } = extractSvgLabels(root);

  const allowed = new Set<string>();
  for (const url of new Set(collectDataUrls(root))) {
    if (await isRasterWithinLimit(url, limits.maxImagePixels)) allowed.add(url);
  }
  const sanitized = sanitizeSvg(root, { isAllowedDataUrl: (url) => allowed.has(url) });
  const svg = Buffer.from(sanitized);

  try {
    const intrinsic = await sharp(svg, { density: baseDensity }).metadata();
    const longest = Math.max(intrinsic.width ?? 0, intrinsic.height ?? 0);
    if (longest <= 0)
      throw new AppError("invalid:image_malformed", { message: "SVG: the drawing has no size." });
    const scale = Math.min(renderMaxSidePx / longest, Math.max(1, renderMinSidePx / longest), 16);
    const density = baseDensity * scale;
    if (density < 1) {
      throw new AppError("invalid:image_too_large", {
        message: "SVG: the declared drawing size is absurdly large.",
      });
    }
    const { data, info } = await sharp(svg, { density, limitInputPixels: limits.maxImagePixels })
      .png()
      .toBuffer({ resolveWithObject: true });
    return { title, labels, png: data, width: info.width, height: info.height, sanitized };
  } catch (error) {
    if (isAppError(error)) throw error;
    throw new AppError("invalid:image_malformed", {
      message: "SVG: the drawing cannot be rendered.",
      cause: error,
    });
  }
}

async function isRasterWithinLimit(dataUrl: string, maxPixels: number): Promise<boolean> {
  try {
    const bytes = Buffer.from(dataUrl.slice(dataUrl.indexOf(",") + 1), "base64");
    const metadata = await sharp(bytes).metadata();
    const isRaster = ["png", "jpeg", "gif", "webp"].includes(metadata.format);
    return isRaster && (metadata.width ?? 0) * (metadata.height ?? 0) <= maxPixels;
  } catch {
    return false;
  }
}
