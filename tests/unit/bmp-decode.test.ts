import { describe, expect, it } from "vitest";
import { decodeBmp, readBmpHeader } from "../../ingest/stages/bmp-decode";
import { bmpFile } from "../fixtures/builders/images";

/** A 5×3 image with a distinct colour per pixel (odd width: rows need padding). */
const color = (x: number, y: number): [number, number, number] => [x * 50, y * 100, 255 - x * 10 - y];

describe("decodeBmp", () => {
  it.each([
    [24, false],
    [24, true],
    [32, false],
    [8, false],
  ] as const)("reads %i-bit pixels (top-down: %s) in place", (bitsPerPixel, isTopDown) => {
    const file = bmpFile({ width: 5, height: 3, bitsPerPixel, isTopDown, pixel: color });
    const header = readBmpHeader(file);
    expect(header).toMatchObject({ width: 5, height: 3, bitsPerPixel, isTopDown });
    const raw = decodeBmp(file, header);
    expect(raw.channels).toBe(3);
    for (let y = 0; y < 3; y += 1) {
      for (let x = 0; x < 5; x += 1) {
        const at = (y * 5 + x) * 3;
        expect([...raw.data.subarray(at, at + 3)]).toEqual(color(x, y));
      }
    }
  });

  it("refuses a header promising more rows than the file holds, before allocating them", () => {
    const file = bmpFile({ width: 4, height: 4, bitsPerPixel: 24, pixel: color, declaredHeight: 100_000 });
    expect(() => readBmpHeader(file)).toThrow(expect.objectContaining({ code: "invalid:image_malformed" }));
  });

  it("refuses truncated files and RLE compression with typed reasons", () => {
    const file = bmpFile({ width: 4, height: 4, bitsPerPixel: 8, pixel: color });
    expect(() => readBmpHeader(file.subarray(0, 30))).toThrow(
      expect.objectContaining({ code: "invalid:image_malformed" }),
    );
    const rle = Buffer.from(file);
    rle.writeUInt32LE(1, 30); // BI_RLE8
    expect(() => readBmpHeader(rle)).toThrow(expect.objectContaining({ code: "unsupported:file_type" }));
  });
});
