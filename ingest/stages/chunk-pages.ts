import { z } from "zod";
import { type BoundingBox, unionBoxes } from "../../lib/domain/geometry";
import type { ExtractedPage, TextBlock } from "../types";

export const chunkOptionsSchema = z
  .object({
    /** Upper bound of a chunk in the embedding model's tokens. @default 256 */
    maxTokens: z.number().int().min(16).default(256),
  })
  .strict();
export type ChunkOptions = z.input<typeof chunkOptionsSchema>;

/** A chunk before it has an id and a vector; it never spans two pages, so citations name one page. */
export interface DraftChunk {
  chunkIndex: number;
  pageNumber: number;
  text: string;
  box: BoundingBox | null;
}

interface Piece {
  text: string;
  box: BoundingBox;
  tokens: number;
}

/**
 * Packs each page's blocks (paragraphs, in reading order) into chunks of at most `maxTokens`
 * tokens, counted with the embedding model's tokenizer. A block that alone exceeds the budget is
 * split at sentence ends, then at word boundaries.
 */
export function chunkPages(
  pages: readonly ExtractedPage[],
  countTokens: (text: string) => number,
  options: ChunkOptions = {},
): DraftChunk[] {
  const { maxTokens } = chunkOptionsSchema.parse(options);
  const chunks: DraftChunk[] = [];
  for (const page of pages) {
    const pieces = page.blocks.flatMap((block) => splitBlock(block, countTokens, maxTokens));
    let current: Piece[] = [];
    let currentTokens = 0;
    const flush = () => {
      if (current.length === 0) return;
      chunks.push({
        chunkIndex: chunks.length,
        pageNumber: page.pageNumber,
        text: current.map((piece) => piece.text).join("\n\n"),
        box: unionBoxes(current.map((piece) => piece.box)),
      });
      current = [];
      currentTokens = 0;
    };
    for (const piece of pieces) {
      if (currentTokens + piece.tokens > maxTokens) flush();
      current.push(piece);
      currentTokens += piece.tokens;
    }
    flush();
  }
  return chunks;
}

function splitBlock(block: TextBlock, countTokens: (text: string) => number, maxTokens: number): Piece[] {
  const text = block.text.trim();
  if (text === "") return [];
  const tokens = countTokens(text);
  if (tokens <= maxTokens) return [{ text, box: block.box, tokens }];
  const sentences = text.match(/[^.!?]+(?:[.!?]+["')\]]*\s*|$)/g) ?? [text];
  const units = sentences.flatMap((sentence) =>
    countTokens(sentence) <= maxTokens ? [sentence] : sentence.split(/(?<=\s)/),
  );
  const pieces: Piece[] = [];
  let buffer = "";
  for (const unit of units) {
    const candidate = buffer + unit;
    if (buffer !== "" && countTokens(candidate.trim()) > maxTokens) {
      pieces.push(piece(buffer, block.box, countTokens));
      buffer = unit;
    } else {
      buffer = candidate;
    }
  }
  if (buffer.trim() !== "") pieces.push(piece(buffer, block.box, countTokens));
  return pieces;
}

function piece(text: string, box: BoundingBox, countTokens: (text: string) => number): Piece {
  const trimmed = text.trim();
  return { text: trimmed, box, tokens: countTokens(trimmed) };
}
