import { AppError } from "../../lib/errors";
import { looksLikeText } from "../stages/detect-media-type";

/**
 * A text file's bytes as a string: UTF-8 (a BOM is dropped) or UTF-16 with its BOM; line ends
 * made `\n`. Bytes that are not valid text (invalid UTF-8, NULs, mostly control characters) are
 * refused with `invalid:text_encoding`: the upload check saw only the first 1 KiB.
 */
export function decodeText(bytes: Uint8Array): string {
  const encoding =
    bytes[0] === 0xff && bytes[1] === 0xfe
      ? "utf-16le"
      : bytes[0] === 0xfe && bytes[1] === 0xff
        ? "utf-16be"
        : "utf-8";
  let text: string;
  try {
    text = new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch (error) {
    throw notText(`it is not valid ${encoding.toUpperCase()}`, error);
  }
  if (!looksLikeText(text)) throw notText("it contains binary data (NUL or control characters)");
  return text.replace(/\r\n?/g, "\n");
}

function notText(reason: string, cause?: unknown): AppError {
  return new AppError("invalid:text_encoding", {
    message: `Folio could not read this file as text: ${reason}. Save it as UTF-8 text and upload it again.`,
    cause,
  });
}
