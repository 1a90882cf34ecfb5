import stemEnglish from "wink-porter2-stemmer";
import type { FullTextSettings } from "../vector-store/full-text-settings";

/**
 * The words LanceDB's full-text index makes of a text with Folio's settings
 * (full-text-settings.ts), in JavaScript, so a reference BM25 can score the very same tokens:
 * split at anything that is not a letter or digit, drop tokens of 40 bytes or more, lower-case,
 * stem (Snowball English, i.e. Porter2), drop stop words (tantivy's English list), fold accents.
 * English only: with another FTS_LANGUAGE, words are lower-cased and folded but not stemmed.
 */
export function fullTextTokens(text: string, settings: FullTextSettings): string[] {
  const isEnglish = settings.language === "English";
  const tokens: string[] = [];
  for (const [word] of text.matchAll(/[\p{Alphabetic}\p{N}]+/gu)) {
    if (Buffer.byteLength(word) >= maxTokenBytes) continue;
    const lower = word.toLowerCase();
    const stemmed = isEnglish ? stemEnglish(lower) : lower;
    if (isEnglish && englishStopWords.has(stemmed)) continue;
    tokens.push(foldToAscii(stemmed));
  }
  return tokens;
}

const maxTokenBytes = 40;

/** tantivy's English stop words (Lucene's list), which LanceDB removes after stemming. */
const englishStopWords = new Set(
  (
    "a an and are as at be but by for if in into is it no not of on or such that the their then " +
    "there these they this to was will with"
  ).split(" "),
);

/** Letters with accents lose them; a few letters that decompose into none are spelled out. */
function foldToAscii(token: string): string {
  if (/^[a-z0-9]*$/.test(token)) return token;
  return token
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/[ßæœøđłþ]/g, (letter) => asciiSpelling[letter] ?? letter);
}

const asciiSpelling: Record<string, string> = { ß: "ss", æ: "ae", œ: "oe", ø: "o", đ: "d", ł: "l", þ: "th" };
