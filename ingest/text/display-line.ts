/**
 * Characters that change how the text around them is displayed without being text: C0/C1
 * controls, bidirectional overrides, embeddings and isolates, directional marks, zero-width space
 * and the BOM. In a page label or heading path — shown beside the document's name in sources,
 * citations and the audit views — U+202E makes `Salary ‮lmth.lortnoc-RH` read "Salary
 * HR-control.html". Zero-width (non-)joiners stay: some scripts need them.
 */
const formattingCharacters =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
  /[\u0000-\u001f\u007f-\u009f\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** Text as one display line: formatting characters removed, whitespace runs as single spaces, trimmed. */
export function displayLine(text: string): string {
  return text.replace(/\s+/g, " ").replace(formattingCharacters, "").replace(/ {2,}/g, " ").trim();
}
