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

/** A paragraph-like block of lines, in reading order (the text-layer segmenter's output). */
export interface TextBlock {
  /** Words joined by single spaces, line-end hyphenation removed. */
  text: string;
  box: BoundingBox;
  lineCount: number;
  /** Dominant font size of the block's lines, in points. */
  fontSize: number;
}

/** Where a block's text came from: the PDF's own text, or OCR of the rendered page or image. */
export type TextSource = "text_layer" | "ocr";

/** What a block is; a chunk inherits it (`heading` blocks become part of the heading path). */
export type BlockKind = "text" | "heading" | "table" | "figure";

export interface TableContent {
  /** Cell texts, row by row; the first `headerRowCount` rows are the header. */
  rows: string[][];
  headerRowCount: number;
  /** The nearest "Table N …" text above or below, or null. */
  caption: string | null;
}

export interface FigureContent {
  /** File name (no directories) of the PNG crop inside the document's derived directory. */
  file: string;
  /** The nearest "Figure/Fig./Table N …" text, or null. */
  caption: string | null;
  widthPx: number;
  heightPx: number;
}

/** One unit of a page in reading order, as `npm run extract` shows it. */
export interface PageBlock {
  kind: BlockKind;
  /** Plain text; a table's is its Markdown; a figure's is its caption and any text inside it. */
  text: string;
  /** In the page's coordinate space (points for PDFs, pixels for images), top-left origin. */
  box: BoundingBox;
  source: TextSource;
  /** Mean OCR word confidence in [0, 1]; null for text-layer text. */
  confidence: number | null;
  /** Heading only: 1 is the top level. */
  headingLevel?: number;
  /** Headings above this block, outermost first; set by the cross-page pass. */
  headingPath?: string[];
  table?: TableContent;
  figure?: FigureContent;
}

export interface ExtractedPage {
  /** 1-based. */
  pageNumber: number;
  /**
   * What a citation calls this page when its number is not how the document names it: "Slide 3",
   * "Sheet: Revenue", a section heading of a text document. Absent for PDF and image pages.
   */
  label?: string;
  /**
   * Size of the page's coordinate space: PDF points after /Rotate for PDFs, pixels for images.
   */
  width: number;
  height: number;
  blocks: PageBlock[];
  /** How the page was read: its text layer, OCR of the whole page, or both (OCR of image regions). */
  route: "text_layer" | "ocr" | "mixed";
  /**
   * The page could not be read (broken content stream or page object); `blocks` is empty.
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
