import { zipSync } from "fflate";
import type { OfficeArchive } from "./safe-archive";

/**
 * A new ZIP holding only the archive's checked XML parts (stored, not compressed), for converters
 * that insist on opening a package themselves (mammoth, exceljs). They then see exactly the
 * bytes that were checked: no binary part (macros, media, embedded objects) and no second
 * reading of the original's central directory, which a crafted file could make disagree with
 * its local headers.
 */
export function repackArchive(archive: OfficeArchive): Buffer {
  const files: Record<string, [Uint8Array, { level: 0 }]> = {};
  for (const [name, bytes] of archive.xmlParts) files[name] = [bytes, { level: 0 }];
  const zipped = zipSync(files);
  return Buffer.from(zipped.buffer, zipped.byteOffset, zipped.byteLength);
}
