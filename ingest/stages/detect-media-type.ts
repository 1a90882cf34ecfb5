import { AppError } from "../../lib/errors";

export type SupportedMediaType = "application/pdf";

const startsWith = (head: Uint8Array, signature: number[], offset = 0) =>
  signature.every((byte, index) => head[offset + index] === byte);

/** What a refused file looks like, so the error can say so. */
function describeUnsupported(head: Uint8Array): string {
  const text = new TextDecoder("latin1").decode(head.subarray(0, 256)).trimStart().toLowerCase();
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47])) return "a PNG image";
  if (startsWith(head, [0xff, 0xd8, 0xff])) return "a JPEG image";
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return "a ZIP archive (or an Office document)";
  if (text.startsWith("<!doctype html") || text.startsWith("<html")) return "an HTML page";
  if (text.startsWith("<svg") || (text.startsWith("<?xml") && text.includes("<svg"))) return "an SVG image";
  return "not a PDF";
}

/**
 * Decides the type from the bytes, never from the name or the declared content type. PDF readers
 * accept the `%PDF-` header anywhere in the first 1024 bytes, so we do too.
 */
export function detectMediaType(head: Uint8Array): SupportedMediaType {
  if (head.byteLength === 0) {
    throw new AppError("invalid:empty_file", {
      message: "The file is empty (0 bytes).",
    });
  }
  const window = new TextDecoder("latin1").decode(head.subarray(0, 1024));
  if (window.includes("%PDF-")) return "application/pdf";
  throw new AppError("unsupported:file_type", {
    message: `Only PDF files can be uploaded for now; this file is ${describeUnsupported(head)}.`,
  });
}
