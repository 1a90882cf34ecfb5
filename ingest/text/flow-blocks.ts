import type { TableContent } from "../types";

/**
 * A block of a document that flows (text, Markdown, HTML, and Office documents converted to
 * them) rather than sits on fixed pages: what the format's own structure says, before pages.
 */
export interface FlowBlock {
  kind: "text" | "heading" | "table";
  /** Plain text; a table's is its Markdown. */
  text: string;
  /** Heading only: 1 is the top level (h1, `#`). */
  headingLevel?: number;
  table?: TableContent;
}
