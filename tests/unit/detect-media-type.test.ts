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
    ["a ZIP archive that is not named .docx", "PK\x03\x04rest", "archive.zip"],
    ["an XML or markup file", '<?xml version="1.0"?><note>svg</note>', "note.xml"],
    ["of a type Folio does not read", "BM but not a bitmap\0\0\x01\x02", undefined],
    ["text, but not named .txt, .md or .html", "name,amount\nrent,10\n", "data.csv"],
    ["text, but not named .txt, .md or .html", "no name was declared", undefined],
    [
      "an HTML page named .pdf: name it .html",
      "<!DOCTYPE html><html><body>a saved page</body></html>",
      "report.pdf",
    ],
  ])("refuses %s and lists what is accepted", (description, content, fileName) => {
    const check = () => detectMediaType(bytes(content), fileName === undefined ? {} : { fileName });
    expect(check).toThrow(expect.objectContaining({ code: "unsupported:file_type" }));
    expect(check).toThrow(description);
    expect(check).toThrow(
      "PDF, PNG, JPEG, WebP, TIFF, GIF, BMP, SVG, plain text, Markdown, HTML, Word, PowerPoint or Excel",
    );
  });

  const utf8 = (text: string) => new TextEncoder().encode(text);
  const utf16le = (text: string) =>
    new Uint8Array([0xff, 0xfe, ...[...text].flatMap((character) => [character.charCodeAt(0), 0])]);

  it.each([
    ["text/markdown", utf8("# Notes\n\nSome *text*."), "notes.md"],
    ["text/markdown", utf8("\uFEFF# Notes with a BOM"), "NOTES.MARKDOWN"],
    ["text/plain", utf8("Plain notes, café."), "notes.txt"],
    ["text/plain", utf8("Plain notes without an extension."), "README"],
    ["text/plain", utf16le("UTF-16 notes"), "notes.txt"],
    ["text/plain", utf8(`${"é".repeat(511)}e`).subarray(0, 1024 - 1), "cut-mid-character.txt"],
    ["text/html", utf8("<!doctype html><title>x</title>"), "page.html"],
    ["text/html", utf8("<!-- saved --><HTML lang=en><body>hi"), "page.txt"],
    ["text/html", utf8("<body><p>fragment</p></body>"), undefined],
    ["text/html", utf8("<div>starts with a div</div>"), "page.htm"],
    ["text/plain", utf8("Mentions %PDF-1.7 in passing."), "about-pdf.txt"],
    ["image/svg+xml", utf8('<svg xmlns="http://www.w3.org/2000/svg"/>'), "drawing.txt"],
  ])("recognises %s text by its bytes and its declared name", (mediaType, head, fileName) => {
    expect(detectMediaType(head, fileName === undefined ? {} : { fileName })).toBe(mediaType);
  });

  it.each([
    ["application/vnd.openxmlformats-officedocument.wordprocessingml.document", "report.docx"],
    ["application/vnd.openxmlformats-officedocument.wordprocessingml.document", "macros.DOCM"],
    ["application/vnd.openxmlformats-officedocument.presentationml.presentation", "deck.pptx"],
    ["application/vnd.openxmlformats-officedocument.presentationml.presentation", "deck.pptm"],
    ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "sheet.xlsx"],
    ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "sheet.xlsm"],
  ])("recognises %s from a ZIP named %s", (mediaType, fileName) => {
    expect(detectMediaType(bytes("PK\x03\x04\x14\0\x06\0"), { fileName })).toBe(mediaType);
  });

  const compoundFile = bytes("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0\0\0");

  it("refuses an old binary Office file with its own code and what to do", () => {
    const check = () => detectMediaType(compoundFile, { fileName: "budget.xls" });
    expect(check).toThrow(expect.objectContaining({ code: "unsupported:legacy_office" }));
    expect(check).toThrow("save it as .docx, .xlsx or .pptx");
  });

  it("refuses a password-protected .docx (a compound file inside) as encrypted", () => {
    const check = () => detectMediaType(compoundFile, { fileName: "secret.docx" });
    expect(check).toThrow(expect.objectContaining({ code: "invalid:office_encrypted" }));
    expect(check).toThrow("password-protected");
  });

  it.each([
    [
      "binary junk",
      new Uint8Array(Array.from({ length: 1024 }, (_, index) => (index * 131) % 256)),
      "junk.txt",
    ],
    [
      "Cyrillic in Windows-1251 (it would read as accented Latin letters)",
      bytes("\xcf\xf0\xe8\xe2\xe5\xf2 \xec\xe8\xf0"),
      "notes.txt",
    ],
    ["mostly control characters", bytes("\x01\x02\x03\x04abc"), "odd.html"],
  ])("refuses %s named as text with invalid:text_encoding", (_name, head, fileName) => {
    expect(() => detectMediaType(head, { fileName })).toThrow(
      expect.objectContaining({ code: "invalid:text_encoding" }),
    );
  });

  it("reads Windows-1252 text (what older Windows editors save as ANSI) as text by its name", () => {
    expect(
      detectMediaType(bytes("Cr\xe8me br\xfbl\xe9e, \x93tr\xe8s bien\x94"), { fileName: "menu.md" }),
    ).toBe("text/markdown");
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
        "text/markdown",
        ".md",
        ".markdown",
        ".txt",
        ".html",
        ".docx",
        ".xlsm",
      ]),
    );
  });
});
