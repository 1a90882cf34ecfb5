import { open } from "node:fs/promises";
import yauzl from "yauzl";
import { z } from "zod";
import { AppError } from "../../lib/errors";
import { assertNoDocumentType } from "./xml-guard";

/*
 * An Office file (docx, pptx, xlsx and their macro-enabled twins) is a ZIP package of XML parts.
 * Before any converter sees it, the package is opened here from its central directory and
 * checked against the limits below; only its XML parts are inflated (each capped at its declared
 * size), and each is refused if it declares a DOCTYPE or entities. Binary parts — macros
 * (vbaProject.bin), embedded objects, ActiveX, media — are never inflated, let alone run.
 */

export const archiveLimitsSchema = z
  .object({
    /** Entries in the central directory. @default 10000 */
    maxEntries: z.number().int().positive().default(10_000),
    /** Sum of the entries' uncompressed sizes, as declared. @default 209715200 (200 MiB) */
    maxUncompressedBytes: z
      .number()
      .int()
      .positive()
      .default(200 * 1024 * 1024),
    /**
     * Uncompressed / compressed size of one entry. Deflate reaches ~1030:1 on a run of one byte,
     * which is what bombs are made of; real XML parts compress 5–30:1, rarely past 100:1.
     * @default 200
     */
    maxCompressionRatio: z.number().positive().default(200),
    /** Entries smaller than this (uncompressed) are not held to the ratio. @default 1048576 */
    ratioGraceBytes: z
      .number()
      .int()
      .nonnegative()
      .default(1024 * 1024),
  })
  .strict();

export type ArchiveLimits = z.input<typeof archiveLimitsSchema>;

export interface OfficeArchive {
  /** Every entry's name, in central-directory order. */
  names: string[];
  /** The XML parts (`*.xml`, `*.rels`) by name, inflated and checked for DTDs. */
  xmlParts: Map<string, Uint8Array>;
  /** The package holds a VBA project (macros), which was not read. */
  hasMacros: boolean;
}

/** OLE2 compound file: legacy .doc/.xls/.ppt, and what an encrypted .docx/.xlsx/.pptx is. */
const compoundFileSignature = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

const isXmlPart = (name: string) => /\.(xml|rels)$/i.test(name);
const isMacroPart = (name: string) =>
  /(^|\/)vbaProject\.bin$/i.test(name) || /(^|\/)vbaData\.xml$/i.test(name);

/**
 * Opens and checks an Office package, or fails with a typed AppError:
 * `invalid:office_malformed` (not a ZIP, truncated, corrupt data), `invalid:office_encrypted`
 * (a password-protected Office file, or encrypted entries), `too_large:office_archive` (too many
 * entries, or too much uncompressed data), `invalid:office_zip_bomb` (a compression ratio of a
 * bomb, or an entry inflating past its declared size), `invalid:office_unsafe_name` (absolute or
 * `..` paths, backslashes, duplicate names) or `invalid:xml_entities`.
 */
export async function openOfficeArchive(
  filePath: string,
  limits: ArchiveLimits = {},
): Promise<OfficeArchive> {
  const options = archiveLimitsSchema.parse(limits);
  await refuseCompoundFile(filePath);
  const zip = await openZip(filePath);
  try {
    if (zip.entryCount > options.maxEntries) {
      throw new AppError("too_large:office_archive", {
        message: `The file holds ${zip.entryCount} parts; Folio reads Office files of at most ${options.maxEntries}.`,
      });
    }
    const entries = await readCentralDirectory(zip);
    checkEntries(entries, options, zip.fileSize);
    const xmlParts = new Map<string, Uint8Array>();
    for (const entry of entries) {
      if (!isXmlPart(entry.fileName) || isMacroPart(entry.fileName)) continue;
      const bytes = await inflateEntry(zip, entry);
      assertNoDocumentType(entry.fileName, bytes);
      xmlParts.set(entry.fileName, bytes);
    }
    return {
      names: entries.map((entry) => entry.fileName),
      xmlParts,
      hasMacros: entries.some((entry) => isMacroPart(entry.fileName)),
    };
  } finally {
    zip.close();
  }
}

async function refuseCompoundFile(filePath: string): Promise<void> {
  const handle = await open(filePath, "r");
  const head = new Uint8Array(8);
  try {
    await handle.read(head, 0, 8, 0);
  } finally {
    await handle.close();
  }
  if (compoundFileSignature.every((byte, index) => head[index] === byte)) {
    throw new AppError("invalid:office_encrypted", {
      message:
        "This Office file is password-protected (stored in the compound-file format, which Folio cannot read). Remove the password in Office and upload it again.",
    });
  }
}

function openZip(filePath: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(
      filePath,
      // strictFileNames: a backslash in a name is refused rather than read as a separator.
      {
        lazyEntries: true,
        autoClose: false,
        decodeStrings: true,
        validateEntrySizes: true,
        strictFileNames: true,
      },
      (error, zip) => (error || !zip ? reject(zipError(error)) : resolve(zip)),
    );
  });
}

function readCentralDirectory(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on("entry", (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.once("end", () => resolve(entries));
    zip.once("error", (error: Error) => reject(zipError(error)));
    zip.readEntry();
  });
}

function checkEntries(
  entries: readonly yauzl.Entry[],
  limits: z.output<typeof archiveLimitsSchema>,
  fileBytes: number,
): void {
  const seen = new Set<string>();
  let totalBytes = 0;
  for (const entry of entries) {
    const name = entry.fileName;
    // Part names are case-insensitive (OPC): two spellings of one name are ambiguous.
    const key = name.toLowerCase();
    if (seen.has(key)) {
      throw new AppError("invalid:office_unsafe_name", {
        message: `The file holds two parts named ${JSON.stringify(name)}; it is refused as ambiguous.`,
      });
    }
    seen.add(key);
    if (entry.isEncrypted()) {
      throw new AppError("invalid:office_encrypted", {
        message: `The file's part ${JSON.stringify(name)} is encrypted; Folio cannot read encrypted archives.`,
      });
    }
    if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
      throw new AppError("invalid:office_malformed", {
        message: `The file's part ${JSON.stringify(name)} uses compression method ${entry.compressionMethod}, which Office files never use.`,
      });
    }
    totalBytes += entry.uncompressedSize;
    if (totalBytes > limits.maxUncompressedBytes) {
      throw new AppError("too_large:office_archive", {
        message: `The file unpacks to more than ${formatMb(limits.maxUncompressedBytes)} (OFFICE_MAX_UNCOMPRESSED_MB); it is refused unread.`,
      });
    }
    const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
    if (entry.uncompressedSize > limits.ratioGraceBytes && ratio > limits.maxCompressionRatio) {
      throw new AppError("invalid:office_zip_bomb", {
        message: `The file's part ${JSON.stringify(name)} would inflate ${Math.round(ratio)} times (${formatMb(entry.uncompressedSize)} from ${entry.compressedSize} bytes), as a compression bomb does; it is refused unread.`,
      });
    }
  }
  // The same ratio over the whole file: parts each under the grace (or whose compressed data
  // overlap, each claiming the same bytes) add up to a bomb that no single part is.
  const totalRatio = totalBytes / Math.max(1, fileBytes);
  if (totalBytes > limits.ratioGraceBytes && totalRatio > limits.maxCompressionRatio) {
    throw new AppError("invalid:office_zip_bomb", {
      message: `The file would inflate ${Math.round(totalRatio)} times (${formatMb(totalBytes)} from ${fileBytes} bytes), as a compression bomb does; it is refused unread.`,
    });
  }
}

/** The entry's bytes, never more than it declared (a lying header is a bomb's other trick). */
function inflateEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Uint8Array> {
  const declared = entry.uncompressedSize;
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (openError, stream) => {
      if (openError || !stream) {
        reject(zipError(openError));
        return;
      }
      const buffer = Buffer.allocUnsafe(declared);
      let length = 0;
      stream.on("data", (chunk: Buffer) => {
        if (length + chunk.length > declared) {
          stream.destroy();
          reject(sizeLie(entry.fileName, declared));
          return;
        }
        chunk.copy(buffer, length);
        length += chunk.length;
      });
      stream.once("error", (error: Error) => reject(zipError(error, entry.fileName)));
      stream.once("end", () => resolve(buffer.subarray(0, length)));
    });
  });
}

function sizeLie(name: string, declared: number): AppError {
  return new AppError("invalid:office_zip_bomb", {
    message: `The file's part ${JSON.stringify(name)} inflates past the ${declared} bytes it declares, as a compression bomb does; reading stopped there.`,
  });
}

/** yauzl's and zlib's errors as typed ones (their messages are stable and documented in yauzl). */
function zipError(error: Error | null | undefined, partName?: string): AppError {
  const detail = error?.message ?? "unknown error";
  if (/^(invalid characters in fileName|absolute path|invalid relative path)/.test(detail)) {
    return new AppError("invalid:office_unsafe_name", {
      message: `The file holds a part whose name could escape its folder (${detail.slice(0, 200)}); it is refused.`,
      cause: error,
    });
  }
  if (/^too many bytes in the stream/.test(detail)) {
    const declared = Number(/expected (\d+)/.exec(detail)?.[1] ?? 0);
    return sizeLie(partName ?? "?", declared);
  }
  if (/encrypted/.test(detail)) {
    return new AppError("invalid:office_encrypted", {
      message: "The file's parts are encrypted; Folio cannot read encrypted archives.",
      cause: error,
    });
  }
  return new AppError("invalid:office_malformed", {
    message: `The file is not a readable Office document (a damaged or truncated ZIP package${partName ? `, at part ${JSON.stringify(partName)}` : ""}).`,
    cause: error,
  });
}

function formatMb(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}
