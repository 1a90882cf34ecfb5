import type { FlowBlock } from "./flow-blocks";
import { trimBlankEdges, trimLineEnds } from "./trim-line-ends";

/**
 * Plain text as paragraphs: runs of lines separated by blank lines, line breaks inside kept.
 * Plain text has no markup, so no headings or tables are guessed.
 */
export function plainTextToBlocks(text: string): FlowBlock[] {
  return text
    .split(/\n[ \t\f\v]*\n/)
    .map((paragraph) => trimBlankEdges(trimLineEnds(paragraph)))
    .filter((paragraph) => paragraph.trim() !== "")
    .map((paragraph) => ({ kind: "text" as const, text: paragraph }));
}
