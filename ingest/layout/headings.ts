import { displayLine } from "../text/display-line";
import type { ExtractedPage } from "../types";

/**
 * Heading rules. A heading is a short block (≤ 2 lines, ≤ 14 words) that does not end like a
 * sentence, and either is set larger than the body text or starts with section numbering.
 *
 * Level: from the numbering when there is one ("2" → 1, "2.3" → 2, "2.3.1" → 3, "A." → 1,
 * "A.2" → 2, "Chapter 3" / "PART II" / "IV." → 1), else from the size relative to the body
 * (≥ 1.6× → 1, ≥ 1.3× → 2, larger → 3, bold at body size → 4). Both are properties of the document's typography, so
 * a heading gets the same level on every page.
 *
 * Weight, when the caller knows it: a single bold line at body size is a heading of level 4.
 * pdf.js's getTextContent gives only an opaque font id and a generic `fontFamily`
 * ("sans-serif"); the PostScript name ("TACTGM+NimbusRomNo9L-Medi") is in
 * `page.commonObjs.get(fontName).name` once the page's operator list was fetched (its `bold`
 * flag stays undefined with `disableFontFace`), so `isBoldFontName` judges the name.
 */
const limits = {
  maxLines: 2,
  maxWords: 14,
  maxCharacters: 140,
  /** Larger than the body by this factor: a heading by size alone. */
  largerRatio: 1.15,
  /** Numbered headings may be set at body size, but not smaller. */
  minNumberedRatio: 0.95,
  /** A numbered body-size heading is shorter still. */
  maxNumberedWords: 10,
} as const;

/** "ABCDEF+Helvetica-Bold", "Arial,Bold", "NimbusRomNo9L-Medi", "Inter-SemiBold", "Roboto-Black". */
export function isBoldFontName(postScriptName: string): boolean {
  const name = postScriptName.replace(/^[A-Z]{6}\+/, "");
  return /bold|black|heavy|demi|medi(?!um)|[-,_]bd\b|[-,_]sb\b/i.test(name);
}

/** Numbering at the start of a heading, with the level it implies, or null. */
export function numberingLevel(text: string): number | null {
  const trimmed = text.trim();
  const named = /^(part|chapter|appendix|annex|book)\s+([0-9]{1,3}|[IVXLC]{1,6}|[A-Z])\b/i.exec(trimmed);
  if (named) return 1;
  const decimal = /^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+\S/.exec(trimmed);
  if (decimal?.[1]) return decimal[1].split(".").length;
  const lettered = /^([A-Z])((?:\.\d{1,2}){0,4})\.?\s+\p{Lu}/u.exec(trimmed);
  if (lettered && (lettered[2] !== "" || /^[A-Z]\.\s/.test(trimmed))) {
    return 1 + (lettered[2]?.split(".").length ?? 1) - 1;
  }
  if (/^[IVX]{1,5}\.\s+\p{Lu}/u.test(trimmed)) return 1;
  return null;
}

/**
 * The heading level of a block, or null for body text. `fontSize` is the block's dominant size,
 * `bodyFontSize` the page's (or document's) body text size.
 */
export function headingLevelOf(
  block: { text: string; lineCount: number; fontSize: number; isBold?: boolean },
  bodyFontSize: number,
): number | null {
  const text = block.text.trim();
  if (text === "" || block.lineCount > limits.maxLines || text.length > limits.maxCharacters) return null;
  const words = text.split(/\s+/).length;
  if (words > limits.maxWords) return null;
  if (!/\p{L}/u.test(text) || /^\p{Ll}/u.test(text)) return null;
  // Sentences, list items, table-of-contents lines with dot leaders.
  if (/[.,;:!?]$/.test(text) && !/^([IVX]+|[A-Z]|\d{1,2})\.$/.test(text)) return null;
  if (/\.{3,}|…{2,}|(\.\s){3,}/.test(text)) return null;
  // A line that stops mid-phrase is the first line of a paragraph, not a title.
  if (
    /\s(and|or|the|of|to|in|for|with|a|an|by|on|at|from|that|is|are|und|der|die|das|et|de|la|le)$/i.test(text)
  ) {
    return null;
  }

  const ratio = bodyFontSize > 0 ? block.fontSize / bodyFontSize : 1;
  const numbered = numberingLevel(text);
  if (numbered !== null) {
    // "1 of 3", "2019 revenue", "3 months": a number alone does not make a heading at body size.
    const rest = text.replace(/^\S+\s+/, "");
    if (ratio >= limits.largerRatio) return Math.min(numbered, 6);
    if (ratio < limits.minNumberedRatio || words > limits.maxNumberedWords || block.lineCount > 1)
      return null;
    if (!/^\p{Lu}/u.test(rest) || /\d$/.test(text)) return null;
    return Math.min(numbered, 6);
  }
  if (ratio < limits.largerRatio) {
    const isBoldLine = block.isBold === true && block.lineCount === 1 && ratio >= limits.minNumberedRatio;
    return isBoldLine && words <= limits.maxNumberedWords ? 4 : null;
  }
  if (ratio >= 1.6) return 1;
  if (ratio >= 1.3) return 2;
  return 3;
}

export interface HeadingStyle {
  fontSize: number;
  isBold: boolean;
}

/** What numbered headings of a document look like, per level; see `AnalyzeOptions.headingStyles`. */
export interface HeadingStyles {
  learn(style: HeadingStyle, level: number): void;
  /** The level of numbered headings of this size and weight, or null when none was seen. */
  levelOf(style: HeadingStyle): number | null;
}

export function createHeadingStyles(): HeadingStyles {
  const levels = new Map<string, Map<number, number>>();
  const keyOf = (style: HeadingStyle) => `${Math.round(style.fontSize * 2) / 2}:${style.isBold}`;
  return {
    learn(style, level) {
      const counts = levels.get(keyOf(style)) ?? new Map<number, number>();
      counts.set(level, (counts.get(level) ?? 0) + 1);
      levels.set(keyOf(style), counts);
    },
    levelOf(style) {
      const counts = levels.get(keyOf(style));
      if (!counts) return null;
      // The most frequent level for this look; the shallower one on a tie.
      return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? null;
    },
  };
}

/**
 * The cross-page pass: sets `headingPath` on every block from the headings seen so far, page by
 * page in document order. A heading closes every open heading of its level or deeper; its own
 * path ends with itself, a body block's with the innermost open heading.
 */
export function createHeadingTracker(): { assign(page: ExtractedPage): ExtractedPage } {
  const open: { level: number; text: string }[] = [];
  return {
    assign(page) {
      const blocks = page.blocks.map((block) => {
        if (block.kind === "heading") {
          const level = block.headingLevel ?? 1;
          while ((open.at(-1)?.level ?? 0) >= level) open.pop();
          open.push({ level, text: displayLine(block.text) });
        }
        return { ...block, headingPath: open.map((heading) => heading.text) };
      });
      return { ...page, blocks };
    },
  };
}
