/** Longest display name kept, in characters. */
const maxNameLength = 200;

/**
 * A display name from an uploader's file name: no directories, no control or bidirectional
 * formatting characters (U+202E can make `exe.pdf` read as `fdp.exe`), bounded length. Only
 * ever displayed; files are stored under their hash.
 */
export function sanitizeFileName(raw: string): string {
  const base = raw.split(/[/\\]/).pop() ?? "";
  const cleaned = base
    .normalize("NFC")
    .replace(/[\t\r\n]+/g, " ")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, "")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/^\.+/, "");
  const bounded = [...cleaned].slice(0, maxNameLength).join("");
  return bounded === "" ? "untitled.pdf" : bounded;
}
