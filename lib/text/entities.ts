import { stemWord, withoutMarkers, wordsOf } from "./content-terms";

/** A name in a claim: a run of capitalised words ("Acme Corp", "Bank of America") or an acronym. */
export interface EntityMention {
  text: string;
  /** Its words to look for, without connectors ("Bank", "America"). */
  words: string[];
  isAcronym: boolean;
}

export type EntityPresence = "found" | "partial" | "missing";

/** Lower-case words allowed inside a name: "Bank of America", "Procter & Gamble" ("and" joins two names). */
const connectors = new Set(["of", "&", "de", "der", "van", "von", "la", "du", "for"]);
/**
 * Capitalised only because they open a sentence or are common sentence openers; never a name
 * on their own at a sentence's start.
 */
const openers = new Set(
  (
    "the a an in on at for to by of from this that these those it its there their they we you he she " +
    "according as after before during under over with without while when where which what who how yes " +
    "no not also however therefore thus overall both each every all some most many other another one " +
    "if because since although though per"
  ).split(" "),
);

interface Token {
  text: string;
  /** First word of a sentence, a line, or a clause after a colon. */
  isOpening: boolean;
  /** After a comma or bracket: a name does not run on across it. */
  isAfterBreak: boolean;
}

function tokenize(sentence: string): Token[] {
  const tokens: Token[] = [];
  let isOpening = true;
  let isAfterBreak = false;
  for (const match of withoutMarkers(sentence).matchAll(
    /[\p{L}\p{N}][\p{L}\p{N}&.'’-]*|[:;•—–\n,()"“”]|[-*] /gu,
  )) {
    const text = match[0].replace(/[.'’]+$/, "").replace(/['’]s$/, "");
    if (/^[:;•—–\n]$|^[-*] $/.test(match[0])) {
      isOpening = true;
      continue;
    }
    if (/^[,()"“”]$/.test(match[0])) {
      isAfterBreak = true;
      continue;
    }
    tokens.push({ text, isOpening, isAfterBreak });
    isOpening = false;
    isAfterBreak = false;
  }
  return tokens;
}

function isAcronym(word: string): boolean {
  const capitals = word.replace(/[^\p{Lu}]/gu, "").length;
  return capitals >= 2 && !/\p{Ll}{2,}/u.test(word) && word.length <= 12;
}

/** "FY2023", "Q2", "H1", "FY": periods, checked as numbers (their year), not as names. */
const periodPattern = /^(?:FY|CY|Q[1-4]|H[12])(?:['’]?\d{2,4})?$/i;

function isCapitalised(word: string): boolean {
  return /^\p{Lu}/u.test(word) && word.length > 1 && !periodPattern.test(word);
}

/**
 * The names a claim mentions: acronyms (AGM, R&D, U.S.), and runs of capitalised words with
 * connectors inside. A sentence's first word alone is not a name (it is capitalised anyway);
 * a run it opens counts from its second word, unless the first is a name-like word followed by
 * another capitalised one ("Acme Corp reported …").
 */
export function extractEntities(sentence: string): EntityMention[] {
  const tokens = tokenize(sentence);
  // A line in capitals is a heading or shouting, not a list of acronyms.
  const letters = sentence.replace(/[^\p{L}]/gu, "");
  if (letters.length > 12 && letters === letters.toUpperCase()) return [];
  const entities: EntityMention[] = [];
  const seen = new Set<string>();
  const add = (words: string[], acronym: boolean) => {
    while (words.length > 0 && connectors.has((words.at(-1) ?? "").toLowerCase())) words.pop();
    while (words.length > 0 && connectors.has((words[0] ?? "").toLowerCase())) words.shift();
    if (words.length === 0) return;
    const text = words.join(" ");
    if (seen.has(text.toLowerCase())) return;
    seen.add(text.toLowerCase());
    entities.push({
      text,
      words: words.filter((word) => !connectors.has(word.toLowerCase())),
      isAcronym: acronym,
    });
  };

  let index = 0;
  while (index < tokens.length) {
    const token = tokens[index];
    if (!token || !isCapitalised(token.text)) {
      index++;
      continue;
    }
    const run: Token[] = [token];
    let next = index + 1;
    while (next < tokens.length) {
      const candidate = tokens[next];
      if (!candidate || candidate.isOpening || candidate.isAfterBreak) break;
      if (isCapitalised(candidate.text)) {
        run.push(candidate);
        next++;
        continue;
      }
      const after = tokens[next + 1];
      if (
        connectors.has(candidate.text.toLowerCase()) &&
        after &&
        isCapitalised(after.text) &&
        !after.isOpening &&
        !after.isAfterBreak
      ) {
        run.push(candidate, after);
        next += 2;
        continue;
      }
      break;
    }
    let words = run.map((item) => item.text);
    if (token.isOpening) {
      if (openers.has(words[0]?.toLowerCase() ?? "") || words.length === 1) {
        if (words.length === 1 && isAcronym(words[0] ?? "")) {
          // an acronym is a name even at the start of a sentence
        } else words = words.slice(1);
      }
    }
    // Split runs at acronyms so "Acme Corp AGM" gives both the name and the acronym.
    const acronyms = words.filter((word) => isAcronym(word));
    const names = words.filter((word) => !isAcronym(word));
    for (const acronym of acronyms) add([acronym], true);
    if (names.some((word) => !connectors.has(word.toLowerCase()))) {
      if (acronyms.length === 0) add(words, false);
      else add(names, false);
    }
    index = next;
  }
  return entities;
}

function initials(words: readonly string[]): string {
  return words.map((word) => word[0] ?? "").join("");
}

/** Whether two words are the same name word: equal stems, or one a prefix of the other ("Corp", "Corporation"). */
function sameWord(left: string, right: string): boolean {
  if (left === right) return true;
  const [short, long] = left.length <= right.length ? [left, right] : [right, left];
  return short.length >= 4 && long.startsWith(short);
}

/** A passage's words prepared once for many entity look-ups. */
export interface EntityIndex {
  text: string;
  words: string[];
  stems: Set<string>;
}

export function indexForEntities(text: string): EntityIndex {
  const lower = text.toLowerCase().replace(/['’]s\b/g, "");
  const words = wordsOf(lower);
  return { text: ` ${words.join(" ")} `, words, stems: new Set(words.map(stemWord)) };
}

/**
 * Whether a passage names an entity: the whole name (case and possessives ignored), an acronym
 * spelled out ("AGM" as "annual general meeting"), every word of it in another order or
 * abbreviated ("Acme Corp" as "Acme Corporation") — found; some of its words — partial; none —
 * missing.
 */
export function findEntity(entity: EntityMention, passage: EntityIndex): EntityPresence {
  const phraseWords = wordsOf(entity.text.toLowerCase());
  const phrase = phraseWords.join(" ");
  if (phrase && passage.text.includes(` ${phrase} `)) return "found";
  // "Best Buy" in a title written "BESTBUY_2023_10K"
  if (phraseWords.length > 1 && passage.text.includes(` ${phraseWords.join("")}`)) return "found";
  if (entity.isAcronym) {
    const letters = entity.text.replace(/[^\p{L}\p{N}]/gu, "").toLowerCase();
    if (passage.stems.has(letters)) return "found";
    const significant = passage.words.filter((word) => !connectors.has(word));
    const spelled = initials(significant);
    if (letters.length >= 2 && spelled.includes(letters)) {
      // the initials must come from consecutive words: check each window
      for (let start = 0; start + letters.length <= significant.length; start++) {
        if (initials(significant.slice(start, start + letters.length)) === letters) return "found";
      }
    }
    return "missing";
  }
  const words = entity.words.map((word) => stemWord(word));
  if (words.length === 0) return "found";
  const present = words.filter(
    (word) => passage.stems.has(word) || [...passage.stems].some((stem) => sameWord(word, stem)),
  ).length;
  if (present === words.length) return "found";
  return present > 0 ? "partial" : "missing";
}
