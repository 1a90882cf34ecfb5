import { describe, expect, it } from "vitest";
import { sanitizeFileName } from "../../ingest/sanitize-file-name";
import { detectMediaType } from "../../ingest/stages/detect-media-type";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("detectMediaType", () => {
  it("accepts a PDF header, also after leading junk within 1 KB", () => {
    expect(detectMediaType(bytes("%PDF-1.7\n"))).toBe("application/pdf");
    expect(detectMediaType(bytes(`${" ".repeat(500)}%PDF-1.4`))).toBe("application/pdf");
  });

  it.each([
    ["an XML or markup file", "<?xml version='1.0'?><a/>"],
    ["a ZIP archive", "PK\x03\x04"],
    ["text, but not named", "just some text"],
  ])("refuses %s by its bytes, whatever it is called", (description, content) => {
    const head = Uint8Array.from(content, (character) => character.charCodeAt(0));
    expect(() => detectMediaType(head)).toThrow(expect.objectContaining({ code: "unsupported:file_type" }));
    expect(() => detectMediaType(head)).toThrow(description);
  });

  it("refuses an empty file with its own code", () => {
    expect(() => detectMediaType(new Uint8Array())).toThrow(
      expect.objectContaining({ code: "invalid:empty_file" }),
    );
  });
});

describe("sanitizeFileName", () => {
  it.each([
    ["../../etc/passwd", "passwd"],
    ["..\\..\\windows\\x.pdf", "x.pdf"],
    ["report\u0000.pdf", "report.pdf"],
    ["line\r\nbreak.pdf", "line break.pdf"],
    ["invoice\u202Efdp.exe", "invoicefdp.exe"],
    ["pay\u200Droll \u2066Q3\u2069.pdf", "payroll Q3.pdf"],
    ["", "untitled.pdf"],
    ["...", "untitled.pdf"],
    ["  Quarterly   report.pdf  ", "Quarterly report.pdf"],
  ])("%j → %j", (raw, expected) => {
    expect(sanitizeFileName(raw)).toBe(expected);
  });

  it("bounds a 4 KB name", () => {
    expect([...sanitizeFileName(`${"a".repeat(4096)}.pdf`)]).toHaveLength(200);
  });
});
