import {
  type ImageMediaType,
  type SupportedMediaType,
  supportedMediaTypes,
  supportedTypesDescription,
} from "../../lib/domain/media-types";
import { AppError } from "../../lib/errors";

export {
  type ImageMediaType,
  isImageMediaType,
  type SupportedMediaType,
  supportedMediaTypes,
  supportedTypesDescription,
  uploadAcceptAttribute,
} from "../../lib/domain/media-types";

const startsWith = (head: Uint8Array, signature: readonly number[], offset = 0) =>
  signature.every((byte, index) => head[offset + index] === byte);

const ascii = (text: string) => Array.from(text, (character) => character.charCodeAt(0));

/** BITMAPINFOHEADER sizes (OS/2 core, V1–V5) that follow a real BMP's "BM". */
const bmpHeaderSizes = new Set([12, 40, 52, 56, 64, 108, 124]);

function detectImage(head: Uint8Array): ImageMediaType | null {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(head, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(head, ascii("RIFF")) && startsWith(head, ascii("WEBP"), 8)) return "image/webp";
  // Classic and BigTIFF, both byte orders.
  if ([ascii("II*\0"), ascii("MM\0*"), ascii("II+\0"), ascii("MM\0+")].some((sig) => startsWith(head, sig))) {
    return "image/tiff";
  }
  if (startsWith(head, ascii("GIF87a")) || startsWith(head, ascii("GIF89a"))) return "image/gif";
  if (startsWith(head, ascii("BM")) && head.byteLength >= 18) {
    const headerSize =
      (head[14] ?? 0) | ((head[15] ?? 0) << 8) | ((head[16] ?? 0) << 16) | ((head[17] ?? 0) << 24);
    if (bmpHeaderSizes.has(headerSize)) return "image/bmp";
  }
  return null;
}

/**
 * An SVG is XML text whose first element is `<svg`: after an optional BOM, XML declaration,
 * comments and DOCTYPE. HTML that merely contains an inline `<svg>` is not one.
 */
function isSvg(text: string): boolean {
  let rest = text.replace(/^\uFEFF/, "");
  for (;;) {
    rest = rest.trimStart();
    const skipTo = rest.startsWith("<?")
      ? rest.indexOf("?>") + 2
      : rest.startsWith("<!--")
        ? rest.indexOf("-->") + 3
        : /^<!DOCTYPE\s/i.test(rest)
          ? endOfDoctype(rest)
          : 0;
    if (skipTo <= 2) break;
    rest = rest.slice(skipTo);
  }
  return /^<(svg:)?svg[\s>/]/.test(rest);
}

function endOfDoctype(text: string): number {
  const subsetStart = text.indexOf("[");
  const firstClose = text.indexOf(">");
  if (subsetStart === -1 || (firstClose !== -1 && firstClose < subsetStart)) return firstClose + 1;
  const subsetEnd = text.indexOf("]", subsetStart);
  return subsetEnd === -1 ? 0 : text.indexOf(">", subsetEnd) + 1;
}

/** What a refused file looks like, so the error can say so. */
function describeUnsupported(head: Uint8Array): string {
  const text = new TextDecoder("latin1").decode(head.subarray(0, 256)).trimStart().toLowerCase();
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return "a ZIP archive (or an Office document)";
  if (text.startsWith("<!doctype html") || text.startsWith("<html")) return "an HTML page";
  if (text.startsWith("<?xml") || text.startsWith("<")) return "an XML or markup file";
  return "of a type Folio does not read";
}

/**
 * Decides the type from the bytes (the first 1 KB), never from the name or the declared content
 * type. Image signatures are checked first, at offset 0; PDF readers accept the `%PDF-` header
 * anywhere in the first 1024 bytes, so we do too.
 */
export function detectMediaType(head: Uint8Array): SupportedMediaType {
  if (head.byteLength === 0) {
    throw new AppError("invalid:empty_file", {
      message: "The file is empty (0 bytes).",
    });
  }
  const image = detectImage(head);
  if (image) return image;
  const window = new TextDecoder("latin1").decode(head.subarray(0, 1024));
  if (window.includes("%PDF-")) return "application/pdf";
  if (isSvg(new TextDecoder("utf-8").decode(head.subarray(0, 1024)))) return "image/svg+xml";
  throw new AppError("unsupported:file_type", {
    message: `Folio reads ${supportedTypesDescription} files; this file is ${describeUnsupported(head)}.`,
    details: { accepted: Object.keys(supportedMediaTypes) },
  });
}
