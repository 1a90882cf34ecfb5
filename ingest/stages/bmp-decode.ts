import { AppError } from "../../lib/errors";

/** What the header says, read before any pixel is touched. */
export interface BmpHeader {
  width: number;
  height: number;
  /** Rows are stored top row first (negative height in the file). */
  isTopDown: boolean;
  bitsPerPixel: 1 | 4 | 8 | 16 | 24 | 32;
  pixelOffset: number;
  /** Bytes per stored row (rows are padded to 4 bytes). */
  rowStride: number;
  /** Channel masks for 16/32-bit images; the alpha mask is 0 when there is none. */
  masks: { red: number; green: number; blue: number; alpha: number } | null;
  /** Palette entries as [r, g, b] for 1/4/8-bit images. */
  palette: [number, number, number][] | null;
}

export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

const compressionRgb = 0;
const compressionBitfields = 3;
const compressionAlphaBitfields = 6;

const malformed = (message: string) =>
  new AppError("invalid:image_malformed", { message: `BMP: ${message}` });

/**
 * Parses a Windows bitmap header (BITMAPINFOHEADER and its V2–V5 extensions; OS/2 core headers
 * too) and checks that the pixel rows it promises lie inside the file. Only uncompressed images
 * (and bit-field masks) are read: RLE and embedded JPEG/PNG bitmaps are `unsupported:file_type`.
 */
export function readBmpHeader(file: Uint8Array): BmpHeader {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.byteLength < 26 || file[0] !== 0x42 || file[1] !== 0x4d) throw malformed("not a bitmap file.");
  const pixelOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  const isCoreHeader = headerSize === 12;
  if (!isCoreHeader && (headerSize < 40 || headerSize > 124))
    throw malformed(`unknown header size ${headerSize}.`);
  if (14 + headerSize > file.byteLength) throw malformed("the header is cut off.");

  const width = isCoreHeader ? view.getUint16(18, true) : view.getInt32(18, true);
  const rawHeight = isCoreHeader ? view.getInt16(20, true) : view.getInt32(22, true);
  const bitsPerPixel = view.getUint16(isCoreHeader ? 24 : 28, true);
  const compression = isCoreHeader ? compressionRgb : view.getUint32(30, true);
  if (width <= 0 || rawHeight === 0 || rawHeight === -2147483648) throw malformed("invalid dimensions.");
  if (![1, 4, 8, 16, 24, 32].includes(bitsPerPixel)) throw malformed(`unsupported depth ${bitsPerPixel}.`);

  const isBitfields = compression === compressionBitfields || compression === compressionAlphaBitfields;
  if (compression !== compressionRgb && !isBitfields) {
    throw new AppError("unsupported:file_type", {
      message: "Compressed BMP images (RLE, embedded JPEG/PNG) are not supported; save it as PNG.",
    });
  }
  if (isBitfields && bitsPerPixel !== 16 && bitsPerPixel !== 32)
    throw malformed("bit fields need 16 or 32 bits.");

  const height = Math.abs(rawHeight);
  const rowStride = Math.ceil((width * bitsPerPixel) / 32) * 4;
  if (pixelOffset < 14 + headerSize || pixelOffset + rowStride * height > file.byteLength) {
    throw malformed("the pixel data is cut off or misplaced.");
  }
  return {
    width,
    height,
    isTopDown: rawHeight < 0,
    bitsPerPixel: bitsPerPixel as BmpHeader["bitsPerPixel"],
    pixelOffset,
    rowStride,
    masks: readMasks(view, headerSize, bitsPerPixel, isBitfields ? compression : compressionRgb),
    palette: bitsPerPixel <= 8 ? readPalette(view, file, headerSize, bitsPerPixel, pixelOffset) : null,
  };
}

function readMasks(view: DataView, headerSize: number, bitsPerPixel: number, compression: number) {
  if (bitsPerPixel === 16 && compression === compressionRgb) {
    return { red: 0x7c00, green: 0x03e0, blue: 0x001f, alpha: 0 };
  }
  if (bitsPerPixel === 32 && compression === compressionRgb) {
    // The fourth byte of BI_RGB is "reserved": usually 0, so it cannot be trusted as alpha.
    return { red: 0xff0000, green: 0xff00, blue: 0xff, alpha: 0 };
  }
  if (compression === compressionRgb) return null;
  // BITMAPINFOHEADER keeps the three masks right after it; V2+ headers hold them (and alpha) inside.
  const at = 14 + 40;
  if (at + 12 > view.byteLength) throw malformed("the bit-field masks are cut off.");
  const hasAlphaMask = headerSize >= 56 || compression === compressionAlphaBitfields;
  return {
    red: view.getUint32(at, true),
    green: view.getUint32(at + 4, true),
    blue: view.getUint32(at + 8, true),
    alpha: hasAlphaMask && at + 16 <= view.byteLength ? view.getUint32(at + 12, true) : 0,
  };
}

function readPalette(
  view: DataView,
  file: Uint8Array,
  headerSize: number,
  bitsPerPixel: number,
  pixelOffset: number,
): [number, number, number][] {
  const isCoreHeader = headerSize === 12;
  const entrySize = isCoreHeader ? 3 : 4;
  const declared = isCoreHeader ? 0 : view.getUint32(46, true);
  const count = Math.min(declared === 0 ? 2 ** bitsPerPixel : declared, 2 ** bitsPerPixel);
  const start = 14 + headerSize;
  if (start + count * entrySize > Math.min(pixelOffset, file.byteLength))
    throw malformed("the palette is cut off.");
  const palette: [number, number, number][] = [];
  for (let index = 0; index < count; index += 1) {
    const at = start + index * entrySize;
    palette.push([file[at + 2] ?? 0, file[at + 1] ?? 0, file[at] ?? 0]);
  }
  return palette;
}

/**
 * Pixels of an already checked header as raw RGB(A) for sharp. The caller refuses oversized
 * images from `readBmpHeader` first: this allocates width × height × channels bytes.
 */
export function decodeBmp(file: Uint8Array, header: BmpHeader): RawImage {
  const { width, height, bitsPerPixel, masks, palette } = header;
  const channels = masks && masks.alpha !== 0 ? 4 : 3;
  const output = Buffer.alloc(width * height * channels);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const channelReaders = masks ? [masks.red, masks.green, masks.blue, masks.alpha].map(maskReader) : [];
  for (let row = 0; row < height; row += 1) {
    const sourceRow = header.isTopDown ? row : height - 1 - row;
    const rowStart = header.pixelOffset + sourceRow * header.rowStride;
    for (let column = 0; column < width; column += 1) {
      const target = (row * width + column) * channels;
      if (palette) {
        const bitOffset = column * bitsPerPixel;
        const byte = file[rowStart + (bitOffset >> 3)] ?? 0;
        const index = (byte >> (8 - bitsPerPixel - (bitOffset & 7))) & ((1 << bitsPerPixel) - 1);
        const color = palette[index] ?? [0, 0, 0];
        output[target] = color[0];
        output[target + 1] = color[1];
        output[target + 2] = color[2];
      } else if (bitsPerPixel === 24) {
        const at = rowStart + column * 3;
        output[target] = file[at + 2] ?? 0;
        output[target + 1] = file[at + 1] ?? 0;
        output[target + 2] = file[at] ?? 0;
      } else {
        const value =
          bitsPerPixel === 16
            ? view.getUint16(rowStart + column * 2, true)
            : view.getUint32(rowStart + column * 4, true);
        for (let channel = 0; channel < channels; channel += 1) {
          output[target + channel] = channelReaders[channel]?.(value) ?? 0;
        }
      }
    }
  }
  return { data: output, width, height, channels };
}

/** Extracts a masked channel and scales it to 0–255 (a 5-bit channel's 31 becomes 255). */
function maskReader(mask: number): (value: number) => number {
  if (mask === 0) return () => 0;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift += 1;
  const maximum = mask >>> shift;
  return (value) => Math.round((((value & mask) >>> shift) * 255) / maximum);
}
