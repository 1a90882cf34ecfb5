import { tableToMarkdown } from "../layout/table-markdown";
import { displayLine } from "../text/display-line";
import type { FlowBlock } from "../text/flow-blocks";
import { blockSeparator } from "../text/paginate-blocks";
import type { ExtractedPage, PageBlock, TableContent } from "../types";

/*
 * Blocks and pages of Office documents, in the coordinates of every document without page images
 * (ingest/text/paginate-blocks.ts): a page is its blocks' texts joined by a blank line, and a
 * block's box is `[0, start, 1, end]`, its span in that text, so a preview can highlight a chunk.
 */

export function textBlock(text: string): FlowBlock {
  return { kind: "text", text };
}

export function headingBlock(text: string, level: number): FlowBlock {
  return { kind: "heading", text, headingLevel: level };
}

export function tableBlock(table: TableContent): FlowBlock {
  return { kind: "table", text: tableToMarkdown(table), table };
}

/**
 * A page of its own (a slide, a sheet) labelled for citations. Every block's heading path is the
 * page's own headings: a slide without a title does not inherit the previous slide's.
 */
export function labelledPage(pageNumber: number, label: string, blocks: readonly FlowBlock[]): ExtractedPage {
  const open: { level: number; text: string }[] = [];
  let offset = 0;
  const placed: PageBlock[] = blocks.map((block, index) => {
    if (index > 0) offset += blockSeparator.length;
    const start = offset;
    offset += block.text.length;
    if (block.kind === "heading") {
      const level = block.headingLevel ?? 1;
      while ((open.at(-1)?.level ?? 0) >= level) open.pop();
      open.push({ level, text: oneLine(block.text) });
    }
    return {
      kind: block.kind,
      text: block.text,
      box: [0, start, 1, offset],
      source: "text_layer",
      confidence: null,
      headingPath: open.map((heading) => heading.text),
      ...(block.headingLevel === undefined ? {} : { headingLevel: block.headingLevel }),
      ...(block.table ? { table: block.table } : {}),
    };
  });
  return {
    pageNumber,
    label,
    width: 1,
    height: Math.max(1, offset),
    blocks: placed,
    route: "text_layer",
    isUnreadable: false,
  };
}

/** Whitespace runs as single spaces, trimmed, cut with an ellipsis: labels and headings are one line. */
export function oneLine(text: string, maxCharacters = 200): string {
  const line = displayLine(text);
  return line.length > maxCharacters ? `${line.slice(0, maxCharacters - 1)}…` : line;
}
