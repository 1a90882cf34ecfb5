import type { ExtractedPage, PageBlock, TextItem } from "../../ingest/types";

/**
 * A run of text whose baseline starts at (x, baselineY) in top-left page points, boxed as pdf.js
 * items are: 0.8 em above the baseline, 0.2 em below, 0.5 em per character.
 */
export function run(
  text: string,
  x: number,
  baselineY: number,
  options: { fontSize?: number; width?: number; hasEndOfLine?: boolean } = {},
): TextItem {
  const fontSize = options.fontSize ?? 10;
  const width = options.width ?? text.length * 0.5 * fontSize;
  return {
    text,
    box: [x, baselineY - 0.8 * fontSize, x + width, baselineY + 0.2 * fontSize],
    fontName: "f1",
    fontSize,
    hasEndOfLine: options.hasEndOfLine ?? true,
  };
}

/** Right-aligned at `right`. */
export function runRight(text: string, right: number, baselineY: number, fontSize = 10): TextItem {
  return run(text, right - text.length * 0.5 * fontSize, baselineY, { fontSize, hasEndOfLine: false });
}

/** One item per line, `leading` apart. */
export function paragraph(
  lines: readonly string[],
  x: number,
  firstBaselineY: number,
  leading = 12,
): TextItem[] {
  return lines.map((line, index) => run(line, x, firstBaselineY + index * leading));
}

export const letterPage = { width: 612, height: 792 };

export function textBlock(text: string, box: PageBlock["box"], kind: PageBlock["kind"] = "text"): PageBlock {
  return { kind, text, box, source: "text_layer", confidence: null };
}

export function page(pageNumber: number, blocks: PageBlock[]): ExtractedPage {
  return { pageNumber, width: 612, height: 792, blocks, route: "text_layer", isUnreadable: false };
}
