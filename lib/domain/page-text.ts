/**
 * Pages of documents without page images (text, Markdown, HTML, Office): a page is its blocks'
 * texts joined by this separator, and a block's box `[0, start, 1, end]` is its span of that text
 * (UTF-16 code units), so a chunk's box is the part of the page text to highlight.
 */
export const pageTextBlockSeparator = "\n\n";

/** A text page's text, as its chunk boxes index it. */
export function pageTextOf(blocks: readonly { text: string }[]): string {
  return blocks.map((block) => block.text).join(pageTextBlockSeparator);
}

/** One page of such a document, as the page routes serve it. */
export interface TextPage {
  pageNumber: number;
  pageCount: number;
  /** What the document calls the page ("Slide 3", a section heading), or null. */
  label: string | null;
  text: string;
}

/**
 * How a citation names a page: by its label when the document has one ("Slide 3", "Sheet:
 * Revenue", a section heading), else "page 3" (`capitalized`: "Page 3").
 */
export function pageNameOf(
  page: { pageNumber: number; pageLabel?: string | null },
  options: { capitalized?: boolean } = {},
): string {
  if (page.pageLabel) return page.pageLabel;
  return `${options.capitalized ? "Page" : "page"} ${page.pageNumber}`;
}
