/**
 * Character error rate: Levenshtein distance between recognised and reference text over the
 * reference length, after collapsing whitespace (line breaks and column gaps are layout, not
 * characters) and unifying typographic quotes and dashes, which tesseract and transcribers
 * choose freely.
 */
export function characterErrorRate(recognized: string, reference: string): number {
  const a = [...normalize(recognized)];
  const b = [...normalize(reference)];
  if (b.length === 0) return a.length === 0 ? 0 : 1;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return (previous[b.length] ?? 0) / b.length;
}

function normalize(text: string): string {
  return text
    .replace(/[‘’‚′]/g, "'")
    .replace(/[“”„″]/g, '"')
    .replace(/[‐‑‒–—]/g, "-")
    .replace(/\s+/g, " ")
    .trim();
}
