import { displayLine } from "./text/display-line";

/** Longest display name kept, in characters. */
const maxNameLength = 200;

/**
 * A display name from an uploader's file name: no directories, one display line (no control or
 * bidirectional formatting characters: U+202E can make `exe.pdf` read as `fdp.exe`), bounded length. Only
 * ever displayed; files are stored under their hash.
 */
export function sanitizeFileName(raw: string): string {
  const base = raw.split(/[/\\]/).pop() ?? "";
  // Joiners are dropped too: in a name they only make two names that look the same differ.
  const cleaned = displayLine(base.normalize("NFC").replace(/[\u200c\u200d]/g, "")).replace(/^\.+/, "");
  const bounded = [...cleaned].slice(0, maxNameLength).join("");
  return bounded === "" ? "untitled.pdf" : bounded;
}
