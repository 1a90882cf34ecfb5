import { z } from "zod";
import { pageTextBlockSeparator } from "../../lib/domain/page-text";
import { createHeadingTracker } from "../layout/headings";
import type { ExtractedPage, PageBlock } from "../types";
import { displayLine } from "./display-line";
import type { FlowBlock } from "./flow-blocks";

export const paginateOptionsSchema = z
  .object({
    /**
     * A page ends before the block that would take it past this many characters (a block longer
     * than this alone is split at line ends, then at spaces). About a printed page and a half.
     * @default 5000
     */
    maxPageCharacters: z.number().int().min(200).default(5000),
  })
  .strict();
export type PaginateOptions = z.input<typeof paginateOptionsSchema>;

/** Between two blocks in a page's text (the preview shows it; chunk boxes index into it). */
export const blockSeparator = pageTextBlockSeparator;

/**
 * Pages for a document that has none of its own (text, Markdown, HTML): a new page at every
 * section heading — headings of the document's section level: its top heading level, or the next
 * one when the top level is used once (a title) — unless the page so far holds only headings,
 * and before a page would pass `maxPageCharacters`. Each page is labelled by its section heading ("Installation", and
 * "Installation (continued)" for the pages after the first), or "Part N" before any heading.
 *
 * Coordinates: a page is its blocks' texts joined by a blank line; its width is 1 and its height
 * the length of that text, and a block's box is `[0, start, 1, end]` in UTF-16 code units of it,
 * so a chunk's box (the union of its blocks') is the span of the page text to highlight.
 */
export function paginateBlocks(
  flowBlocks: readonly FlowBlock[],
  options: PaginateOptions = {},
): ExtractedPage[] {
  const { maxPageCharacters } = paginateOptionsSchema.parse(options);
  const blocks = flowBlocks.map(asParagraphIfTooLong);
  const sectionLevel = sectionLevelOf(blocks);
  const groups: FlowBlock[][] = [];
  let current: FlowBlock[] = [];
  let currentLength = 0;
  const startPage = () => {
    if (current.length > 0) groups.push(current);
    current = [];
    currentLength = 0;
  };
  for (const whole of blocks) {
    for (const block of splitLongBlock(whole, maxPageCharacters)) {
      const isSection = block.kind === "heading" && (block.headingLevel ?? 1) <= sectionLevel;
      const length = block.text.length + (current.length > 0 ? blockSeparator.length : 0);
      // A title (or headings alone) does not make a page of its own: it stays with what follows.
      const hasBody = current.some((placed) => placed.kind !== "heading");
      if ((isSection && hasBody) || currentLength + length > maxPageCharacters) startPage();
      current.push(block);
      currentLength += length;
    }
  }
  startPage();

  const headings = createHeadingTracker();
  const pages = groups.map((group, index) => headings.assign(pageOf(group, index + 1)));
  return pages.map((page) => ({ ...page, label: labelOf(page) }));
}

/** The heading level that starts pages (see `paginateBlocks`); Infinity without headings. */
function sectionLevelOf(blocks: readonly FlowBlock[]): number {
  const counts = new Map<number, number>();
  for (const block of blocks) {
    if (block.kind === "heading")
      counts.set(block.headingLevel ?? 1, (counts.get(block.headingLevel ?? 1) ?? 0) + 1);
  }
  const levels = [...counts.keys()].sort((a, b) => a - b);
  const [top, next] = levels;
  if (top === undefined) return Number.POSITIVE_INFINITY;
  return counts.get(top) === 1 && next !== undefined ? next : top;
}

function pageOf(blocks: readonly FlowBlock[], pageNumber: number): ExtractedPage {
  let offset = 0;
  const placed: PageBlock[] = blocks.map((block, index) => {
    if (index > 0) offset += blockSeparator.length;
    const start = offset;
    offset += block.text.length;
    return {
      kind: block.kind,
      text: block.text,
      box: [0, start, 1, offset],
      source: "text_layer",
      confidence: null,
      ...(block.headingLevel === undefined ? {} : { headingLevel: block.headingLevel }),
      ...(block.table ? { table: block.table } : {}),
    };
  });
  return {
    pageNumber,
    width: 1,
    height: Math.max(1, offset),
    blocks: placed,
    route: "text_layer",
    isUnreadable: false,
  };
}

/** Longer "headings" (a whole paragraph marked up as `<h2>`) are read as paragraphs. */
const maxHeadingCharacters = 300;
/** A label is one line of at most this many characters. */
const maxLabelCharacters = 120;

function asParagraphIfTooLong(block: FlowBlock): FlowBlock {
  return block.kind === "heading" && block.text.length > maxHeadingCharacters
    ? { kind: "text", text: block.text }
    : block;
}

/**
 * The section a page is about: the heading nearest its first text (a title and a section heading
 * opening the page name the section), "(continued)" when the page starts inside it.
 */
function labelOf(page: ExtractedPage): string {
  const first = page.blocks[0];
  const firstBody = page.blocks.find((block) => block.kind !== "heading") ?? first;
  const heading = firstBody?.headingPath?.at(-1);
  if (!heading) return `Part ${page.pageNumber}`;
  const line = displayLine(heading);
  const section = line.length > maxLabelCharacters ? `${line.slice(0, maxLabelCharacters - 1)}…` : line;
  return first?.kind === "heading" ? section : `${section} (continued)`;
}

/** A text block longer than a page in page-sized pieces: at line ends, else at spaces, else anywhere. */
function splitLongBlock(block: FlowBlock, maxCharacters: number): FlowBlock[] {
  if (block.kind !== "text" || block.text.length <= maxCharacters) return [block];
  const pieces: string[] = [];
  let rest = block.text;
  while (rest.length > maxCharacters) {
    const window = rest.slice(0, maxCharacters);
    const lineEnd = window.lastIndexOf("\n");
    const space = window.lastIndexOf(" ");
    let cut = lineEnd > maxCharacters / 2 ? lineEnd : space > maxCharacters / 2 ? space : maxCharacters;
    // Never between the two halves of a surrogate pair.
    if (/[\uD800-\uDBFF]/.test(rest.charAt(cut - 1))) cut -= 1;
    pieces.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).replace(/^\s+/, "");
  }
  if (rest !== "") pieces.push(rest);
  return pieces.map((text) => ({ kind: "text", text }));
}
