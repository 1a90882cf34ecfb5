import { AppError } from "../../lib/errors";

/**
 * Refuses an XML part that declares a document type or entities, before any parser sees it:
 * external entities (XXE: `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>`) and nested
 * entity expansion ("billion laughs") both need a DOCTYPE, and no Office part has one. Nothing is
 * ever resolved or expanded; the whole document fails with `invalid:xml_entities`.
 *
 * The text is decoded the way a parser would (UTF-16 by its byte-order mark or its first `<`,
 * else UTF-8), so a declaration cannot hide in another encoding.
 */
export function assertNoDocumentType(partName: string, bytes: Uint8Array): void {
  const text = new TextDecoder(encodingOf(bytes)).decode(bytes);
  if (/<!\s*(DOCTYPE|ENTITY)/i.test(text)) {
    throw new AppError("invalid:xml_entities", {
      message: `The file's part ${partName} declares a document type or entities (<!DOCTYPE> / <!ENTITY>), which Office files never do; it is refused unread (entity expansion and external entities are a known attack on XML readers).`,
    });
  }
}

function encodingOf(bytes: Uint8Array): "utf-8" | "utf-16le" | "utf-16be" {
  const [first, second] = [bytes[0], bytes[1]];
  if ((first === 0xff && second === 0xfe) || (first === 0x3c && second === 0x00)) return "utf-16le";
  if ((first === 0xfe && second === 0xff) || (first === 0x00 && second === 0x3c)) return "utf-16be";
  return "utf-8";
}
