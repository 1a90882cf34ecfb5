import type { BoundingBox } from "../lib/domain/geometry";

/** One run of text as the PDF draws it (pdf.js `TextItem`), in page points, top-left origin. */
export interface TextItem {
  /** Never empty or whitespace-only. */
  text: string;
  box: BoundingBox;
  /** Opaque id of the font, equal for equal fonts within one document (not the PostScript name). */
  fontName: string;
  /** Points, after the text and graphics transforms. */
  fontSize: number;
  /** The PDF moved to a new line after this run. */
  hasEndOfLine: boolean;
}

/** A paragraph-like block of lines, in reading order. */
export interface TextBlock {
  /** Words joined by single spaces, line-end hyphenation removed. */
  text: string;
  box: BoundingBox;
  lineCount: number;
}

export interface ExtractedPage {
  /** 1-based. */
  pageNumber: number;
  /** Points, after the page's /Rotate is applied (the page as it is displayed). */
  width: number;
  height: number;
  items: TextItem[];
  blocks: TextBlock[];
  /**
   * pdf.js could not read this page (broken content stream or page object); `items` is empty.
   * The rest of the document is still extracted.
   */
  isUnreadable: boolean;
}

export interface ExtractedDocument {
  pageCount: number;
  /** From the XMP `dc:title` or the Info dictionary when it looks like a real title, else null. */
  title: string | null;
  pages: ExtractedPage[];
}
