import type * as lancedb from "@lancedb/lancedb";

/**
 * The languages LanceDB's full-text index stems (Snowball) and removes stop words for. Any other
 * name aborts the process inside LanceDB's native code, so the configuration only offers these.
 */
export const fullTextLanguages = [
  "Arabic",
  "Danish",
  "Dutch",
  "English",
  "Finnish",
  "French",
  "German",
  "Greek",
  "Hungarian",
  "Italian",
  "Norwegian",
  "Portuguese",
  "Romanian",
  "Russian",
  "Spanish",
  "Swedish",
  "Tamil",
  "Turkish",
] as const;

export type FullTextLanguage = (typeof fullTextLanguages)[number];

export interface FullTextSettings {
  /**
   * Words are reduced to their stem and stop words dropped in this language; `none` keeps words
   * as written (still lower-cased, accents folded), for collections of mixed languages.
   * @default "English"
   */
  language: FullTextLanguage | "none";
}

export const defaultFullTextSettings: FullTextSettings = { language: "English" };

/** The column the full-text index covers: a chunk's heading path, then its text. */
export const searchTextColumn = "search_text";

/**
 * What full-text search matches a chunk by: its document's title (without a file extension), its
 * headings, then its text — so a passage under "Risk factors › Liquidity" in "ACME_2022_10K.pdf"
 * is found by the words of its headings and of its document's name too, not only by its own
 * (a question names the company; the filing's pages rarely do). A chunk that begins with its
 * innermost heading gets the outer ones only, and a title equal to the first heading is not
 * repeated, so no word counts twice.
 */
export function searchTextOf(
  chunk: { headingPath: readonly string[]; text: string },
  documentTitle?: string,
): string {
  const headings = [...chunk.headingPath];
  const innermost = headings.at(-1);
  if (innermost !== undefined && chunk.text.startsWith(innermost)) headings.pop();
  const title = documentTitle?.replace(/\.[A-Za-z0-9]{1,5}$/, "").trim();
  const context = [
    ...(title && title !== chunk.headingPath[0] && !chunk.text.startsWith(title) ? [title] : []),
    ...(headings.length > 0 ? [headings.join(" › ")] : []),
  ];
  return context.length > 0 ? `${context.join("\n")}\n${chunk.text}` : chunk.text;
}

/**
 * The same text as SQL over the stored columns, for tables written before the column existed.
 * The heading path is stored as a JSON array: its brackets, quotes and commas are punctuation the
 * tokenizer drops, so it yields the same words.
 */
export const searchTextSql = "concat(heading_path, ' ', text)";

/**
 * How the index tokenizes: split at anything that is not a letter or digit, drop tokens of 40
 * bytes or more, lower-case, stem, drop stop words, fold accents to ASCII (LanceDB's `simple`
 * analyzer, the same defaults BEIR's BM25 used). Positions are not stored: Folio runs no phrase
 * queries, and without them the index is smaller and faster to build.
 */
export function fullTextIndexOptions(settings: FullTextSettings): Partial<lancedb.FtsOptions> {
  const hasLanguage = settings.language !== "none";
  return {
    baseTokenizer: "simple",
    language: hasLanguage ? settings.language : "English",
    maxTokenLength: 40,
    lowercase: true,
    stem: hasLanguage,
    removeStopWords: hasLanguage,
    asciiFolding: true,
    withPosition: false,
  };
}

/**
 * Version of what the index holds and how; bump it when `searchTextOf` or the options change.
 * v2: heading path + text, explicit options (v1 was LanceDB's defaults over `text`, unnamed).
 */
const indexFormatVersion = 2;

/**
 * The index's name carries its format and language: a table whose full-text index was built
 * another way is found by its name and rebuilt, without reading the index.
 */
export function fullTextIndexName(settings: FullTextSettings): string {
  return `fts_v${indexFormatVersion}_${settings.language.toLowerCase()}`;
}
