import { z } from "zod";
import { type BoundingBox, unionBoxes } from "../../lib/domain/geometry";
import type { ChunkKind } from "../../lib/vector-store/vector-store";
import { splitTableMarkdown } from "../layout/table-markdown";
import type { ExtractedPage, TextSource } from "../types";

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
  /** What a citation calls the page ("Slide 3", a section heading), or null to say "page N". */
  pageLabel: string | null;
  kind: ChunkKind;
  text: string;
  box: BoundingBox | null;
  source: TextSource;
  /** Mean OCR confidence of the chunk's blocks in [0, 1]; null for text-layer text. */
  confidence: number | null;
  /** Headings above the chunk, outermost first. */
  headingPath: string[];
  /** Figure chunks: the crop's file name in the document's derived directory. */
  figureFile: string | null;
}

interface Piece {
  text: string;
  box: BoundingBox;
  tokens: number;
  confidence: number | null;
}

export interface Chunker {
  /** The chunks of one more page (pages must come in order). */
  add(page: ExtractedPage): DraftChunk[];
  readonly chunkCount: number;
}

/**
 * Turns pages into chunks of at most `maxTokens` tokens, counted with the embedding model's
 * tokenizer, one page at a time:
 * - text blocks are packed in reading order; a heading, a change of heading path or of source
 *   (text layer / OCR) starts a new chunk, and a block too big alone is split at sentence ends,
 *   then at words; headings never end a chunk on their own while something follows them on the
 *   page: headings in a row share a chunk with the text under them;
 * - a table is a chunk of its own (split only between rows, caption and header repeated in each
 *   part, when too big), led by the headings right above it (its parts cut smaller to leave them
 *   room, while they take at most half the budget);
 * - a figure is a chunk of its own, linked to its image.
 */
export function createChunker(countTokens: (text: string) => number, options: ChunkOptions = {}): Chunker {
  const { maxTokens } = chunkOptionsSchema.parse(options);
  let chunkCount = 0;
  return {
    get chunkCount() {
      return chunkCount;
    },
    add(page) {
      const chunks: DraftChunk[] = [];
      const push = (chunk: Omit<DraftChunk, "chunkIndex" | "pageNumber" | "pageLabel">) =>
        chunks.push({
          chunkIndex: chunkCount++,
          pageNumber: page.pageNumber,
          pageLabel: page.label ?? null,
          ...chunk,
        });

      let current: Piece[] = [];
      let currentTokens = 0;
      /** The current chunk holds headings only: the text under them joins it, split to fit if need be. */
      let isHeadingsOnly = false;
      let currentContext: { source: TextSource; headingPath: string[] } | null = null;
      const flush = () => {
        if (current.length === 0 || !currentContext) return;
        push({
          kind: "text",
          text: current.map((piece) => piece.text).join("\n\n"),
          box: unionBoxes(current.map((piece) => piece.box)),
          source: currentContext.source,
          confidence: meanOf(current.map((piece) => piece.confidence)),
          headingPath: currentContext.headingPath,
          figureFile: null,
        });
        current = [];
        currentTokens = 0;
        isHeadingsOnly = false;
      };

      for (const block of page.blocks) {
        const headingPath = block.headingPath ?? [];
        if (block.kind === "table" || block.kind === "figure") {
          // Headings right above a table lead its first part: the parts are cut to leave them room
          // (while they take at most half the budget), so a big table's title is never alone.
          const leadTokens =
            block.kind === "table" &&
            isHeadingsOnly &&
            currentContext?.source === block.source &&
            currentTokens <= maxTokens / 2
              ? currentTokens
              : 0;
          const parts = block.table
            ? splitTableMarkdown(block.table, countTokens, maxTokens - leadTokens)
            : splitText(block.text, countTokens, maxTokens).map((piece) => piece.text);
          const lead = leadTokens > 0 && leadTokens + countTokens(parts[0] ?? "") <= maxTokens ? current : [];
          if (lead.length > 0) {
            current = [];
            currentTokens = 0;
            isHeadingsOnly = false;
          } else flush();
          for (const [index, part] of parts.entries()) {
            const leading = index === 0 ? lead : [];
            push({
              kind: block.kind,
              text: [...leading.map((piece) => piece.text), part].join("\n\n"),
              box:
                leading.length > 0
                  ? unionBoxes([...leading.map((piece) => piece.box), block.box])
                  : block.box,
              source: block.source,
              confidence: block.confidence,
              headingPath,
              figureFile: block.figure?.file ?? null,
            });
            // One image, one chunk: the rest of an over-long figure text is dropped.
            if (block.kind === "figure") break;
          }
          continue;
        }
        const isNewContext =
          !currentContext ||
          currentContext.source !== block.source ||
          currentContext.headingPath.join("\u0000") !== headingPath.join("\u0000");
        // Headings in a row (a title, then a section's) stay together with the text under them.
        const continuesHeadings = isHeadingsOnly && currentContext?.source === block.source;
        if ((block.kind === "heading" || isNewContext) && !continuesHeadings) flush();
        currentContext = { source: block.source, headingPath };
        const isHeading = block.kind === "heading";
        // A heading never ends up alone in a chunk while text under it follows on the page: the
        // text's first piece is cut to fit beside it.
        const leadingTokens = isHeadingsOnly && !isHeading ? currentTokens : 0;
        for (const { text, tokens } of splitText(block.text, countTokens, maxTokens, leadingTokens)) {
          if (currentTokens + tokens > maxTokens) flush();
          if (current.length === 0) isHeadingsOnly = isHeading;
          else if (!isHeading) isHeadingsOnly = false;
          current.push({ text, box: block.box, tokens, confidence: block.confidence });
          currentTokens += tokens;
        }
      }
      flush();
      return chunks;
    },
  };
}

/** All chunks of some pages at once (tests, the extract command). */
export function chunkPages(
  pages: readonly ExtractedPage[],
  countTokens: (text: string) => number,
  options: ChunkOptions = {},
): DraftChunk[] {
  const chunker = createChunker(countTokens, options);
  return pages.flatMap((page) => chunker.add(page));
}

/**
 * `text` in pieces of at most `maxTokens` tokens, with their counts: whole, else at sentence ends,
 * else at words; the first piece also fits beside `leadingTokens` already in the chunk (a heading)
 * when its first sentence can. Pieces are filled greedily: full chunks rank best, since a
 * document's best chunk decides its rank (evenly sized halves of an abstract scored lower on
 * SciFact than a full chunk and a short rest). Each unit is counted once and pieces add their
 * units' counts: tokenizers split words at whitespace first, so the sum is the count of the joined
 * text (and tokenizing is most of the chunker's time: counting every growing candidate again made
 * long blocks quadratic).
 */
function splitText(
  text: string,
  countTokens: (text: string) => number,
  maxTokens: number,
  leadingTokens = 0,
): { text: string; tokens: number }[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  const wholeTokens = countTokens(trimmed);
  if (wholeTokens + leadingTokens <= maxTokens) return [{ text: trimmed, tokens: wholeTokens }];
  const sentences = trimmed.match(/[^.!?]+(?:[.!?]+["')\]]*\s*|$)/g) ?? [trimmed];
  const units = sentences.flatMap((sentence) => {
    const tokens = countTokens(sentence);
    if (tokens <= maxTokens) return [{ text: sentence, tokens }];
    return sentence.split(/(?<=\s)/).map((word) => ({ text: word, tokens: countTokens(word) }));
  });
  const pieces: { text: string; tokens: number }[] = [];
  let buffer = { text: "", tokens: 0 };
  // Nothing fits beside what the chunk holds: the first piece starts a chunk of its own.
  let bufferLeading = leadingTokens + (units[0]?.tokens ?? 0) <= maxTokens ? leadingTokens : 0;
  for (const unit of units) {
    if (buffer.text.trim() !== "" && bufferLeading + buffer.tokens + unit.tokens > maxTokens) {
      pieces.push({ text: buffer.text.trim(), tokens: buffer.tokens });
      buffer = { ...unit };
      bufferLeading = 0;
    } else {
      buffer = { text: buffer.text + unit.text, tokens: buffer.tokens + unit.tokens };
    }
  }
  if (buffer.text.trim() !== "") pieces.push({ text: buffer.text.trim(), tokens: buffer.tokens });
  return pieces;
}

function meanOf(values: readonly (number | null)[]): number | null {
  const present = values.filter((value): value is number => value !== null);
  return present.length === 0 ? null : present.reduce((sum, value) => sum + value, 0) / present.length;
}
