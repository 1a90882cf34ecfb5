import {
  extensionOf,
  type ImageMediaType,
  isOfficeMediaType,
  isTextMediaType,
  mediaTypeOfExtension,
  type SupportedMediaType,
  supportedMediaTypes,
  supportedTypesDescription,
} from "../../lib/domain/media-types";
import { AppError } from "../../lib/errors";
import { decodeTextHead } from "../text/decode-text";

export {
  hasPageImages,
  type ImageMediaType,
  isImageMediaType,
  isOfficeMediaType,
  isTextMediaType,
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
  return /^<(svg:)?svg[\s>/]/.test(skipProlog(text, { skipDoctype: true }));
}

/** The text after a BOM, XML declarations, comments and (optionally) a DOCTYPE. */
function skipProlog(text: string, options: { skipDoctype?: boolean } = {}): string {
  let rest = text.replace(/^\uFEFF/, "");
  for (;;) {
    rest = rest.trimStart();
    const skipTo = rest.startsWith("<?")
      ? rest.indexOf("?>") + 2
      : rest.startsWith("<!--")
        ? rest.indexOf("-->") + 3
        : options.skipDoctype && /^<!DOCTYPE\s/i.test(rest)
          ? endOfDoctype(rest)
          : 0;
    if (skipTo <= 2) break;
    rest = rest.slice(skipTo);
  }
  return rest;
}

function endOfDoctype(text: string): number {
  const subsetStart = text.indexOf("[");
  const firstClose = text.indexOf(">");
  if (subsetStart === -1 || (firstClose !== -1 && firstClose < subsetStart)) return firstClose + 1;
  const subsetEnd = text.indexOf("]", subsetStart);
  return subsetEnd === -1 ? 0 : text.indexOf(">", subsetEnd) + 1;
}

/** What a refused file looks like, so the error can say so. */
function describeUnsupported(head: Uint8Array, isText: boolean, fileName: string | undefined): string {
  const text = new TextDecoder("latin1").decode(head.subarray(0, 256)).trimStart().toLowerCase();
  if (startsWith(head, zipSignature)) return "a ZIP archive that is not named .docx, .pptx or .xlsx";
  if (isText && startsLikeHtml(new TextDecoder("utf-8").decode(head))) {
    return `an HTML page named ${extensionOf(fileName ?? "")}: name it .html to read it as one`;
  }
  if (text.startsWith("<?xml") || text.startsWith("<")) return "an XML or markup file";
  if (isText) return "text, but not named .txt, .md or .html";
  return "of a type Folio does not read";
}

const zipSignature = [0x50, 0x4b, 0x03, 0x04];
/** OLE2 compound file: .doc/.xls/.ppt, and also what a password-protected .docx/.xlsx/.pptx is. */
const compoundFileSignature = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/** What the uploader said about the file; only ever used to choose among types the bytes allow. */
export interface DeclaredFile {
  /** The file's name as uploaded (its extension tells Markdown from plain text, .docx from a zip). */
  fileName?: string;
}

/**
 * Decides the type from the bytes (the first 1 KiB), and from the declared file name only where
 * the bytes cannot tell: text is Markdown or plain text by its extension, a ZIP archive is a Word,
 * PowerPoint or Excel document by its extension (the reader then checks the package inside).
 * Image signatures are checked first, at offset 0; PDF readers accept the `%PDF-` header anywhere
 * in the first 1024 bytes, so we do too (except in a file named as text, where it must come first).
 */
export function detectMediaType(head: Uint8Array, declared: DeclaredFile = {}): SupportedMediaType {
  if (head.byteLength === 0) {
    throw new AppError("invalid:empty_file", {
      message: "The file is empty (0 bytes).",
    });
  }
  const image = detectImage(head);
  if (image) return image;
  const byName = declared.fileName === undefined ? null : mediaTypeOfExtension(declared.fileName);
  const window = new TextDecoder("latin1").decode(head.subarray(0, 1024));
  const pdfAt = window.indexOf("%PDF-");
  if (pdfAt === 0 || (pdfAt > 0 && !(byName && isTextMediaType(byName)))) return "application/pdf";
  if (startsWith(head, zipSignature)) {
    if (byName && isOfficeMediaType(byName)) return byName;
  } else if (startsWith(head, compoundFileSignature)) {
    throw compoundFileError(declared.fileName, byName);
  } else {
    // Before the text check: an SVG may declare another encoding than UTF-8.
    if (isSvg(new TextDecoder("utf-8").decode(head.subarray(0, 1024)))) return "image/svg+xml";
    const text = decodeTextHead(head);
    if (text !== null) {
      const textType = textMediaType(text, declared.fileName, byName);
      if (textType) return textType;
    } else if (byName && isTextMediaType(byName)) {
      throw new AppError("invalid:text_encoding", {
        message: `The file is named as ${supportedMediaTypes[byName].label} but its bytes are not text Folio can read (UTF-8, UTF-16 or Windows-1252): it looks binary, or uses another older encoding. Save it as UTF-8 and upload it again.`,
      });
    }
    return refuse(head, text !== null, declared.fileName);
  }
  return refuse(head, false, declared.fileName);
}

function refuse(head: Uint8Array, isText: boolean, fileName: string | undefined): never {
  throw new AppError("unsupported:file_type", {
    message: `Folio reads ${supportedTypesDescription} files; this file is ${describeUnsupported(head, isText, fileName)}.`,
    details: { accepted: Object.keys(supportedMediaTypes) },
  });
}

/**
 * Text (already known to decode): HTML by its first element when its name says text or nothing
 * (an HTML page saved as .txt still is one; one named .pdf is a mistake to report, not to index);
 * else by the name: .html/.htm, .md/.markdown, and .txt or a name without an extension ("README")
 * as plain text. Without any declared name, only HTML is recognised: nothing tells what other
 * text is.
 */
function textMediaType(text: string, fileName: string | undefined, byName: SupportedMediaType | null) {
  const isNamedAsOther = byName !== null && !isTextMediaType(byName);
  if (startsLikeHtml(text)) return isNamedAsOther ? null : "text/html";
  if (byName && isTextMediaType(byName)) return byName;
  if (fileName !== undefined && fileName.trim() !== "" && extensionOf(fileName) === "") return "text/plain";
  return null;
}

function startsLikeHtml(text: string): boolean {
  const rest = skipProlog(text);
  return /^<!doctype\s+html[\s>]/i.test(rest) || /^<(html|head|body)[\s>]/i.test(rest);
}

function compoundFileError(fileName: string | undefined, byName: SupportedMediaType | null): AppError {
  if (byName && isOfficeMediaType(byName)) {
    return new AppError("invalid:office_encrypted", {
      message: `"${fileName}" is password-protected (encrypted Office documents are stored in the old compound-file format, which Folio cannot read). Remove the password in Office and upload it again.`,
    });
  }
  return new AppError("unsupported:legacy_office", {
    message: `This is an old binary Office document (.doc, .xls or .ppt) or another compound file. Folio reads ${supportedTypesDescription} files: save it as .docx, .xlsx or .pptx and upload it again.`,
  });
}
