import { AppError } from "../../lib/errors";

/**
 * A text file's bytes as a string: UTF-8 (a BOM is dropped) or UTF-16 with its BOM, else
 * Windows-1252 (see `decodeTextBytes`); line ends made `\n`. Bytes that are not text (NULs,
 * mostly control characters) or whose encoding Folio cannot tell are refused with
 * `invalid:text_encoding`: the upload check saw only the first 1 KiB.
 */
export function decodeText(bytes: Uint8Array): string {
  const text = decodeTextBytes(bytes);
  if (text === null) {
    throw notText("its characters are in an encoding Folio cannot tell (neither UTF-8 nor Windows-1252)");
  }
  if (!looksLikeText(text)) throw notText("it contains binary data (NUL or control characters)");
  return text.replace(/\r\n?/g, "\n");
}

/**
 * A file's first KiB as text, or null when it is not text: decoded as `decodeTextBytes` does (a
 * character cut by the 1 KiB boundary is fine), without NULs and with only a few other control
 * characters (form feeds and escapes do occur in real text files).
 */
export function decodeTextHead(head: Uint8Array): string | null {
  const text = decodeTextBytes(head, { isHead: true });
  return text !== null && looksLikeText(text) ? text : null;
}

/** No NULs, and control characters other than tab, line breaks, form feed and escape under 1 %. */
export function looksLikeText(text: string): boolean {
  if (text.includes("\0")) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: counting control characters is the point
  const controls = text.match(/[\x01-\x08\x0e-\x1a\x1c-\x1f\x7f]/g)?.length ?? 0;
  return controls <= text.length / 100;
}

/**
 * Text in the encoding its bytes show, or null when none fits:
 * - UTF-16 by its byte-order mark;
 * - UTF-8, also when broken sequences are no more than good ones (each broken one becomes U+FFFD);
 * - Windows-1252 ("ANSI" in older Windows editors, a superset of Latin-1's printable characters)
 *   when broken UTF-8 sequences outnumber good ones, if the result reads as Western European text: mostly
 *   ASCII letters with some accented ones. A Cyrillic, Greek or East Asian legacy encoding read
 *   that way is nearly all accented letters, and gives null rather than garbage.
 * `isHead`: the bytes are the start of a longer file, and may end part-way through a character.
 */
export function decodeTextBytes(bytes: Uint8Array, options: { isHead?: boolean } = {}): string | null {
  const stream = options.isHead === true;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return decodeStrict("utf-16le", bytes, stream);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return decodeStrict("utf-16be", bytes, stream);
  const utf8 = decodeStrict("utf-8", bytes, stream);
  if (utf8 !== null) return utf8;
  const lenient = new TextDecoder("utf-8").decode(bytes, { stream });
  const broken = lenient.match(/\uFFFD/g)?.length ?? 0;
  const goodMultibyte = lenient.match(/[^\p{ASCII}\uFFFD]/gu)?.length ?? 0;
  if (goodMultibyte >= broken) return lenient;
  const western = decodeWindows1252(bytes);
  return readsAsWestern(western) ? western : null;
}

function decodeStrict(encoding: string, bytes: Uint8Array, stream: boolean): string | null {
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes, { stream });
  } catch {
    return null;
  }
}

/**
 * Windows-1252 as the WHATWG Encoding Standard defines it. Node's TextDecoder decodes the label
 * as Latin-1, which leaves 0x80–0x9F (curly quotes, dashes, €) as C1 control characters.
 */
const windows1252High = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d,
  0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a,
  0x153, 0x9d, 0x17e, 0x178,
];

function decodeWindows1252(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString("latin1")
    .replace(/[\u0080-\u009f]/g, (character) =>
      String.fromCharCode(windows1252High[character.charCodeAt(0) - 0x80] ?? character.charCodeAt(0)),
    );
}

/**
 * Accented letters are a minority of the letters in any Western European language (a few percent
 * in French prose; over half only in a few short words), nearly all of them in Cyrillic or Greek
 * read as Windows-1252.
 */
function readsAsWestern(text: string): boolean {
  const ascii = text.match(/[A-Za-z]/g)?.length ?? 0;
  const accented = text.match(/[\u00c0-\u00ff]/g)?.length ?? 0;
  return accented <= (ascii + accented) * 0.5;
}

function notText(reason: string, cause?: unknown): AppError {
  return new AppError("invalid:text_encoding", {
    message: `Folio could not read this file as text: ${reason}. Save it as UTF-8 text and upload it again.`,
    cause,
  });
}
