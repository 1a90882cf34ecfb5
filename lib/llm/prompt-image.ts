import sharp from "sharp";
import { AppError } from "../errors";

/** Images Folio puts in prompts are its own derived PNGs, but a bound keeps a bad file harmless. */
const maxInputPixels = 50_000_000;

export interface EncodedImage {
  mediaType: "image/png";
  bytes: Buffer;
  width: number;
  height: number;
}

/**
 * An image scaled to fit `edgePixels` on its longer side (never enlarged), as PNG: what a vision
 * projector or server is given. A file that cannot be read is `invalid:prompt_image`.
 */
export async function encodeImageForPrompt(filePath: string, edgePixels: number): Promise<EncodedImage> {
  try {
    const { data, info } = await sharp(filePath, { limitInputPixels: maxInputPixels })
      .rotate()
      .resize({ width: edgePixels, height: edgePixels, fit: "inside", withoutEnlargement: true })
      .flatten({ background: "#ffffff" })
      .png()
      .toBuffer({ resolveWithObject: true });
    return { mediaType: "image/png", bytes: data, width: info.width, height: info.height };
  } catch (cause) {
    throw new AppError("invalid:prompt_image", {
      message: `The image ${filePath} could not be prepared for the model.`,
      cause,
    });
  }
}

/** The image as a `data:` URL (OpenAI-style `image_url` parts). */
export function toDataUrl(image: EncodedImage): string {
  return `data:${image.mediaType};base64,${image.bytes.toString("base64")}`;
}
