import { numberWordValue, withoutMarkers } from "./content-terms";

/** A number as written in a text, with its value read the way a reader would. */
export interface NumberMention {
  /** As written, e.g. `$3.1 million`, `12%`, `1,234.5`, `twelve percent`. */
  text: string;
  /** The digits' value without the scale word: `3.1` for `$3.1 million`. */
  value: number;
  /** What the scale word multiplies by: `1e6` for "million", 1 without one. */
  scale: number;
  /** Digits after the decimal point as written: how precisely the number was given. */
  decimals: number;
  isPercent: boolean;
}

const scaleWords: Record<string, number> = {
  thousand: 1e3,
  million: 1e6,
  billion: 1e9,
  trillion: 1e12,
  mn: 1e6,
  bn: 1e9,
  tn: 1e12,
};
/** `$3.1m`, `€2bn`, `£40k`: one-letter scales only right after the digits of an amount of money. */
const letterScales: Record<string, number> = { k: 1e3, m: 1e6, b: 1e9 };

const currency = String.raw`(?:[$€£¥]|US\$|USD|EUR|GBP)\s?`;
const digits = String.raw`\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?`;
const scale = String.raw`\s?(?:thousand|million|billion|trillion|mn|bn|tn)\b|[kmb]\b`;
const percent = String.raw`\s?(?:%|per\s?cent\b|percent\b|pct\b|percentage points?\b)`;
/**
 * A number not glued to letters before it (`Q3` and `v2` are names, not quantities; `FY2023` is read
 * below) nor
 * after it except a scale or percent (`3rd` is an ordinal).
 */
const numberPattern = new RegExp(
  String.raw`(?<![\p{L}\d.,])(${currency})?(${digits})(${scale})?(${percent})?(?![\p{L}\d])`,
  "giu",
);
const numberWordPattern = new RegExp(
  String.raw`\b([a-z]+(?:-[a-z]+)?)(?:\s(thousand|million|billion|trillion))?(${percent})?`,
  "gi",
);

function readScale(scaleText: string | undefined, hasCurrency: boolean): number {
  if (!scaleText) return 1;
  const word = scaleText.trim().toLowerCase();
  if (word.length === 1) return hasCurrency ? (letterScales[word] ?? 1) : 1;
  return scaleWords[word] ?? 1;
}

/**
 * Every number in a text: digits with thousands separators and decimals, percentages ("12%",
 * "12 percent"), money ("$3.1 million", "€2bn"), years. Number words ("twelve percent", "seven")
 * are read too when `includeNumberWords` is set; in a claim they count only with a percent or
 * scale after them, since "one of the …" is no quantity. Citation markers are not numbers.
 */
export function extractNumbers(
  text: string,
  options: { includeNumberWords: "always" | "with-unit" } = { includeNumberWords: "always" },
): NumberMention[] {
  const clean = withoutMarkers(text);
  const mentions: NumberMention[] = [];
  for (const match of clean.matchAll(numberPattern)) {
    const [whole, currencyText, digitText = "", scaleText, percentText] = match;
    const plain = digitText.replaceAll(",", "");
    mentions.push({
      text: whole.trim(),
      value: Number.parseFloat(plain),
      scale: readScale(scaleText, currencyText !== undefined),
      decimals: plain.includes(".") ? plain.length - plain.indexOf(".") - 1 : 0,
      isPercent: percentText !== undefined,
    });
  }
  // "FY2023" is the year 2023 (a fiscal year is named by the calendar year it ends in)
  for (const match of clean.matchAll(/\b(?:FY|CY)((?:19|20)\d{2})\b/gi)) {
    mentions.push({ text: match[0], value: Number(match[1]), scale: 1, decimals: 0, isPercent: false });
  }
  for (const match of clean.matchAll(numberWordPattern)) {
    const [whole, word = "", scaleText, percentText] = match;
    const value = numberWordValue(word);
    if (value === undefined) continue;
    const hasUnit = scaleText !== undefined || percentText !== undefined;
    if (options.includeNumberWords === "with-unit" && !hasUnit) continue;
    mentions.push({
      text: whole.trim(),
      value,
      scale: readScale(scaleText, false),
      decimals: 0,
      isPercent: percentText !== undefined,
    });
  }
  return mentions;
}

/** Table headers say "(in millions)" or "(in thousands)": a bare figure may stand for that much more. */
const tableScales = [1e3, 1e6, 1e9];

/**
 * Whether `claim` states a number some mention of `passage` holds, at the precision the claim
 * gives: "3.1 million" is found as "$3,104,000", as "3.1 million" and as "3,104" under an
 * "in thousands" header; "12%" as "12 percent" or "12.4%"; "4.2%" is not "4.3%", and "12.4%"
 * is not found in a passage that only says "12%" (more precise than its source).
 */
export function isNumberFound(claim: NumberMention, passage: readonly NumberMention[]): boolean {
  const claimed = claim.value * claim.scale;
  const tolerance = 0.5 * 10 ** -claim.decimals * claim.scale;
  const allowsTableScale = !claim.isPercent && claimed >= 1e3;
  return passage.some((mention) => {
    const candidates = [mention.value * mention.scale];
    if (allowsTableScale && mention.scale === 1 && !mention.isPercent) {
      for (const factor of tableScales) candidates.push(mention.value * factor);
    }
    return candidates.some((candidate) => Math.abs(candidate - claimed) <= tolerance * (1 + 1e-9));
  });
}
