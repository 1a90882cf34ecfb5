/** A sentence of a text, with its place: `text === source.slice(start, end)`. */
export interface SentenceSpan {
  start: number;
  end: number;
  text: string;
}

/**
 * Words after which a period does not end a sentence (titles, company suffixes, Latin
 * abbreviations, months). Lower-case, without the period.
 */
const abbreviations = new Set(
  (
    "mr mrs ms dr prof sr jr st no nos vs etc e.g i.e eg ie cf al approx est fig figs inc ltd corp co " +
    "dept univ govt jan feb mar apr jun jul aug sep sept oct nov dec ref refs vol pp sec art para ch u.s u.k"
  ).split(" "),
);

/** `[1]`, `[1, 2]`, `[1][2]` right after a sentence's closing punctuation belong to that sentence. */
const trailingMarkers = /^(?:\s*\[\d{1,4}(?:\s*,\s*\d{1,4})*\])+/;

/**
 * How far back and ahead of a `.` the splitter looks. Bounded, so that a hostile passage (one huge
 * word and many periods) costs linear time: the longest abbreviation is 6 letters, and markers
 * after a period are a few characters.
 */
const lookBehindCharacters = 24;
const lookAheadCharacters = 200;

function endsWithAbbreviation(text: string, periodIndex: number): boolean {
  const before = text.slice(Math.max(0, periodIndex - lookBehindCharacters), periodIndex);
  const word = /([A-Za-z][A-Za-z.]*)$/.exec(before)?.[1];
  if (!word) return false;
  // A lone capital is an initial ("J. Smith"), not a sentence end.
  if (/^[A-Z]$/.test(word)) return true;
  return abbreviations.has(word.toLowerCase());
}

/**
 * Splits an answer into sentences: at `.`, `!` or `?` followed by a space and a capital, digit,
 * quote or bracket, and at line breaks (list items). Citation markers written after the period
 * (`… zone seven. [2] Visitors …`) stay with the sentence before them. Decimals (`4.2`),
 * abbreviations (`e.g.`, `Inc.`, `U.S.`) and initials do not end a sentence. Empty lines and
 * surrounding spaces are left out of the spans.
 */
export function splitSentences(text: string): SentenceSpan[] {
  const spans: SentenceSpan[] = [];
  let start = 0;
  const push = (end: number) => {
    let from = start;
    let to = end;
    while (from < to && /\s/.test(text[from] ?? "")) from++;
    while (to > from && /\s/.test(text[to - 1] ?? "")) to--;
    if (to > from) spans.push({ start: from, end: to, text: text.slice(from, to) });
    start = end;
  };
  let index = 0;
  while (index < text.length) {
    const character = text[index] ?? "";
    if (character === "\n") {
      push(index);
      index++;
      continue;
    }
    if (character === "." || character === "!" || character === "?") {
      let end = index + 1;
      while (
        end < text.length &&
        /[.!?)"'’”\]]/.test(text[end] ?? "") &&
        !/^\[\d/.test(text.slice(end, end + 2))
      ) {
        end++;
      }
      const markers = trailingMarkers.exec(text.slice(end, end + lookAheadCharacters));
      if (markers) end += markers[0].length;
      const rest = text.slice(end, end + lookAheadCharacters);
      const isBoundary =
        end >= text.length || /^\s*\n/.test(rest) || /^\s+["'“‘([]?[\p{Lu}\p{N}]/u.test(rest);
      const isAbbreviation = character === "." && endsWithAbbreviation(text, index);
      if (isBoundary && !isAbbreviation) {
        push(end);
        index = end;
        continue;
      }
      index = end;
      continue;
    }
    index++;
  }
  push(text.length);
  return spans;
}
