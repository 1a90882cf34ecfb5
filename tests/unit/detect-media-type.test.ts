import { describe, expect, it } from "vitest";
import { detectMediaType, uploadAcceptAttribute } from "../../ingest/stages/detect-media-type";
import { bmpFile } from "../fixtures/builders/images";

const bytes = (text: string) => Uint8Array.from(text, (character) => character.charCodeAt(0));

describe("detectMediaType", () => {
  it.each([
    ["image/png", bytes("\x89PNG\r\n\x1a\n\0\0\0\rIHDR")],
    ["image/jpeg", bytes("\xff\xd8\xff\xe0\0\x10JFIF")],
    ["image/webp", bytes("RIFF\x10\0\0\0WEBPVP8 ")],
    ["image/tiff", bytes("II*\0\x08\0\0\0")],
    ["image/tiff", bytes("MM\0*\0\0\0\x08")],
    ["image/gif", bytes("GIF89a\x01\0\x01\0")],
    ["image/bmp", bmpFile({ width: 1, height: 1, bitsPerPixel: 24, pixel: () => [0, 0, 0] })],
    ["image/svg+xml", bytes('<svg xmlns="http://www.w3.org/2000/svg"/>')],
    [
      "image/svg+xml",
      new TextEncoder().encode(
        '\uFEFF<?xml version="1.0"?>\n<!-- made by hand -->\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<svg width="1" height="1"/>',
      ),
    ],
    ["application/pdf", bytes("%PDF-1.7\n")],
  ])("recognises %s from its first bytes", (mediaType, head) => {
    expect(detectMediaType(head)).toBe(mediaType);
  });

  it.each([
    ["a ZIP archive", "PK\x03\x04rest"],
    ["an HTML page", '<!DOCTYPE html><html><body><svg width="1"/></body></html>'],
    ["an XML or markup file", '<?xml version="1.0"?><note>svg</note>'],
    ["of a type Folio does not read", "BM but not a bitmap at all"],
  ])("refuses %s and lists what is accepted", (description, content) => {
    const check = () => detectMediaType(bytes(content));
    expect(check).toThrow(expect.objectContaining({ code: "unsupported:file_type" }));
    expect(check).toThrow(description);
    expect(check).toThrow("PDF, PNG, JPEG, WebP, TIFF, GIF, BMP or SVG");
  });

  it("offers every type and extension to the file picker", () => {
    expect(uploadAcceptAttribute.split(",")).toEqual(
      expect.arrayContaining([
        "application/pdf",
        ".pdf",
        "image/png",
        ".jpg",
        ".tiff",
        "image/svg+xml",
        ".bmp",
      ]),
    );
  });
});
