/**
 * Words that carry content, for overlap measures that must work on any document without a
 * trained model: lower-cased, stop words and the answer's own boilerplate ("according to the
 * documents") left out, number words turned into digits, and lightly stemmed so that "helmets",
 * "helmet", "required" and "requires" meet.
 */

const stopWords = new Set(
  (
    "a about above after again against all also am an and any are aren't as at be because been before being " +
    "below between both but by can could did do does doing down during each either else ever every few for " +
    "from further had has have having he her here hers herself him himself his how however i if in into is " +
    "it its itself just let me might more most must my myself neither nor of off on once only or other ought " +
    "our ours ourselves out over own per same shall she should so some such than that the their theirs them " +
    "themselves then there these they this those through thus to too under until up upon us very via was we " +
    "were what when where whether which while who whom whose why will with within would yet you your yours " +
    "yourself yourselves may much many well one's it's that's there's"
  ).split(" "),
);

/** Negations: not content for overlap (their wording varies), checked on their own. */
export const negationWords = new Set([
  "not",
  "no",
  "never",
  "none",
  "nothing",
  "nobody",
  "neither",
  "nor",
  "without",
  "cannot",
  "can't",
  "won't",
  "don't",
  "doesn't",
  "didn't",
  "isn't",
  "aren't",
  "wasn't",
  "weren't",
  "shouldn't",
  "mustn't",
  "hasn't",
  "haven't",
  "hadn't",
  "couldn't",
  "wouldn't",
]);

/** How answers refer to their sources; never evidence of a claim's content. */
const boilerplateWords = new Set(
  (
    "according document documents source sources passage passages excerpt excerpts text state states stated " +
    "says said say mention mentions mentioned note notes noted indicate indicates indicated show shows shown " +
    "explain explains explained describe describes described provide provides provided specify specifies " +
    "specified refer refers referred cited cite cites"
  ).split(" "),
);

const numberWordValues: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};

/** The value of a number word ("seven" → 7, "twenty-five" → 25), or undefined. */
export function numberWordValue(word: string): number | undefined {
  const lower = word.toLowerCase();
  const direct = numberWordValues[lower];
  if (direct !== undefined) return direct;
  const [tens, units] = lower.split("-");
  const tensValue = tens === undefined ? undefined : numberWordValues[tens];
  const unitsValue = units === undefined ? undefined : numberWordValues[units];
  if (tensValue !== undefined && tensValue >= 20 && unitsValue !== undefined && unitsValue < 10) {
    return tensValue + unitsValue;
  }
  return undefined;
}

/** Light suffix stripping (an "S-stemmer" plus -ing/-ed/-ly and a final -e). */
export function stemWord(word: string): string {
  let stem = word.toLowerCase().replace(/['’]s$/, "");
  if (stem.length > 4 && stem.endsWith("ies")) stem = `${stem.slice(0, -3)}y`;
  else if (stem.length > 4 && /(?:ss|x|z|ch|sh)es$/.test(stem)) stem = stem.slice(0, -2);
  else if (stem.length > 3 && stem.endsWith("s") && !/(?:ss|us|is)$/.test(stem)) stem = stem.slice(0, -1);
  const before = stem;
  if (stem.length > 5 && stem.endsWith("ing")) stem = stem.slice(0, -3);
  else if (stem.length > 4 && stem.endsWith("ed")) stem = stem.slice(0, -2);
  else if (stem.length > 5 && stem.endsWith("ly")) stem = stem.slice(0, -2);
  // "stopped" → "stopp" → "stop"
  if (stem !== before && /([b-df-hj-np-rtv-z])\1$/.test(stem) && !/(?:ll|ss|zz)$/.test(stem)) {
    stem = stem.slice(0, -1);
  }
  if (stem.length > 4 && stem.endsWith("e")) stem = stem.slice(0, -1);
  return stem;
}

/** Words of a text in order, lower-cased: letters (with inner ' and -) or digits. */
export function wordsOf(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{M}]+(?:['’-][\p{L}\p{M}]+)*|\p{N}+(?:[.,]\p{N}+)*/gu) ?? [];
}

/** Citation markers (`[3]`, `[1, 2]`) carry no content. */
export function withoutMarkers(text: string): string {
  return text.replace(/\[\d{1,4}(?:\s*,\s*\d{1,4})*\]/g, " ");
}

function isNumeric(word: string): boolean {
  return /^\p{N}/u.test(word);
}

/**
 * The content terms of a text, stemmed, in order (repeats kept). Numbers are left out: they are
 * checked exactly on their own (see `numbers.ts`), and number words become digits there.
 */
export function contentTerms(text: string): string[] {
  const terms: string[] = [];
  for (const whole of wordsOf(withoutMarkers(text))) {
    if (numberWordValue(whole) !== undefined) continue;
    // "net-zero" counts as "net" and "zero", found whether the passage hyphenates or not
    for (const word of whole.includes("-") ? whole.split("-") : [whole]) {
      if (isNumeric(word) || numberWordValue(word) !== undefined) continue;
      if (stopWords.has(word) || negationWords.has(word) || boilerplateWords.has(word)) continue;
      if (word.length < 2) continue;
      terms.push(stemWord(word));
    }
  }
  return terms;
}

/** Every stemmed word of a text (stop words included), for looking terms up in a passage. */
export function termSet(text: string): Set<string> {
  const set = new Set<string>();
  for (const word of wordsOf(text)) {
    set.add(stemWord(word));
    const value = numberWordValue(word);
    if (value !== undefined) set.add(String(value));
    // "net-zero" is also "net" and "zero"
    if (word.includes("-")) for (const part of word.split("-")) if (part) set.add(stemWord(part));
  }
  return set;
}

/** Whether a text says "not", "no", "never", "without"… */
export function hasNegation(text: string): boolean {
  // "No, …" answers the question; it does not negate the sentence after it.
  const words = wordsOf(text.replace(/^\s*no\s*[,.:;!]/i, ""));
  return words.some((word) => negationWords.has(word) || word.endsWith("n't"));
}
