import type { ExtractedPage, PageBlock } from "../types";
import { pageMessageLimits as limits, type OcrTask } from "./pdf-protocol";

/**
 * A page as the parent accepts it (pdf-protocol.ts's limits), whatever the file holds: a dense
 * page is a property of the file, not a fault of the reader. Long text is split into consecutive
 * blocks with the same box (the chunker splits it anyway), tables too big to keep as tables
 * become text, captions and cells are cut, and blocks or figure OCR beyond the caps are dropped.
 */
export function fitPageMessage(page: ExtractedPage, ocr: OcrTask[]): { page: ExtractedPage; ocr: OcrTask[] } {
  const blocks: PageBlock[] = [];
  // Figure OCR targets are block indexes: they follow their block when text before it is split.
  const newIndexOf: number[] = [];
  for (const block of page.blocks) {
    newIndexOf.push(blocks.length);
    blocks.push(...fitBlock(block));
  }
  const fittedOcr = ocr
    .map((task) => (task.target === "page" ? task : { ...task, target: newIndexOf[task.target] ?? -1 }))
    .filter((task) => task.target === "page" || (task.target >= 0 && task.target < limits.blocks))
    .slice(0, limits.ocrTasks);
  return { page: { ...page, blocks: blocks.slice(0, limits.blocks) }, ocr: fittedOcr };
}

function fitBlock(block: PageBlock): PageBlock[] {
  let fitted = block;
  if (fitted.table) {
    const { rows } = fitted.table;
    if (rows.length > limits.tableRows || rows.some((row) => row.length > limits.tableColumns)) {
      const { table: _table, ...rest } = fitted;
      fitted = { ...rest, kind: "text" };
    } else {
      fitted = {
        ...fitted,
        table: {
          ...fitted.table,
          rows: rows.map((row) => row.map((cell) => cut(cell, limits.tableCell))),
          caption: cutCaption(fitted.table.caption),
        },
      };
    }
  }
  if (fitted.figure)
    fitted = { ...fitted, figure: { ...fitted.figure, caption: cutCaption(fitted.figure.caption) } };
  if (fitted.text.length <= limits.blockText) return [fitted];
  if (fitted.kind === "table" || fitted.kind === "figure")
    return [{ ...fitted, text: cut(fitted.text, limits.blockText) }];
  return splitText(fitted.text, limits.blockText).map((text) => ({ ...fitted, text }));
}

/** Pieces of at most `max` characters, cut at the last whitespace before the limit when there is one. */
function splitText(text: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const space = rest.lastIndexOf(" ", max);
    const at = space > max / 2 ? space : max;
    pieces.push(rest.slice(0, at).trim());
    rest = rest.slice(at).trim();
  }
  if (rest !== "") pieces.push(rest);
  return pieces;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function cutCaption(caption: string | null): string | null {
  return caption === null ? null : cut(caption, limits.caption);
}
