import type { FlowBlock } from "../text/flow-blocks";
import type { TableContent } from "../types";
import { headingBlock, oneLine, tableBlock, textBlock } from "./office-blocks";

/**
 * The part of mammoth's document model (mammoth/lib/documents.js, pinned version) this module
 * reads: paragraphs with their style and list numbering, runs, text, tables, images' alt text,
 * note references. Everything else (bookmarks, comments' anchors) is skipped.
 */
export interface DocxElement {
  type: string;
  children?: DocxElement[];
  value?: string;
  styleId?: string | null;
  styleName?: string | null;
  numbering?: { level: string | number; isOrdered: boolean } | null;
  isHeader?: boolean;
  colSpan?: number;
  rowSpan?: number;
  altText?: string;
  checked?: boolean;
  breakType?: string;
  noteType?: string;
  noteId?: string;
  body?: DocxElement[];
}

export interface DocxDocument {
  children: DocxElement[];
  notes?: { resolve(reference: DocxElement): DocxElement | null };
}

/**
 * The document's body as blocks in reading order: "Heading 1"–"Heading 6" (and "Title", as a
 * level-1 heading) styles become headings; consecutive list paragraphs one text block with
 * "- " / "1. " markers indented by level; tables Markdown tables; images their alt text;
 * footnotes and endnotes a "Notes" section at the end, in the order they are referenced.
 */
export function docxBlocks(document: DocxDocument): FlowBlock[] {
  const blocks: FlowBlock[] = [];
  const notes: { number: number; body: DocxElement[] }[] = [];
  const numbers = new Map<string, number>();
  const noteNumber = (reference: DocxElement) => {
    const key = `${reference.noteType}-${reference.noteId}`;
    let number = numbers.get(key);
    if (number === undefined) {
      number = numbers.size + 1;
      numbers.set(key, number);
      notes.push({ number, body: document.notes?.resolve(reference)?.body ?? [] });
    }
    return number;
  };
  appendBody(document.children, blocks, noteNumber);
  if (notes.length > 0) {
    blocks.push(headingBlock("Notes", 1));
    // A note may reference further notes: they join the end of the list as they are met.
    for (let index = 0; index < notes.length; index++) {
      const note = notes[index];
      const text = note ? paragraphsText(note.body, noteNumber) : "";
      if (note && text !== "") blocks.push(textBlock(`[${note.number}] ${text}`));
    }
  }
  return blocks;
}

type NoteNumber = (reference: DocxElement) => number;

function appendBody(elements: readonly DocxElement[], blocks: FlowBlock[], noteNumber: NoteNumber): void {
  let list: string[] = [];
  const counters: number[] = [];
  const flushList = () => {
    if (list.length > 0) blocks.push(textBlock(list.join("\n")));
    list = [];
    counters.length = 0;
  };
  for (const element of elements) {
    if (element.type === "paragraph") {
      const text = inlineText(element.children ?? [], noteNumber).trim();
      if (text === "") continue;
      const level = headingLevel(element);
      if (element.numbering && level === null) {
        const depth = Math.max(0, Math.min(8, Number(element.numbering.level) || 0));
        // Deeper levels restart under each item; a bullet at a level restarts its numbering.
        counters.length = depth + 1;
        counters[depth] = element.numbering.isOrdered ? (counters[depth] ?? 0) + 1 : 0;
        const marker = element.numbering.isOrdered ? `${counters[depth]}.` : "-";
        list.push(`${"  ".repeat(depth)}${marker} ${text}`);
        continue;
      }
      flushList();
      blocks.push(level === null ? textBlock(text) : headingBlock(oneLine(text, 300), level));
    } else if (element.type === "table") {
      flushList();
      const table = tableContent(element, noteNumber);
      if (table.rows.length > 0) blocks.push(tableBlock(table));
    } else if (element.children) {
      // Content controls, text boxes and the like: their paragraphs in place.
      flushList();
      appendBody(element.children, blocks, noteNumber);
    }
  }
  flushList();
}

function headingLevel(paragraph: DocxElement): number | null {
  const byName = /^heading\s*([1-9])$/i.exec(paragraph.styleName ?? "");
  const byId = /^heading([1-9])$/i.exec(paragraph.styleId ?? "");
  const level = byName?.[1] ?? byId?.[1];
  if (level) return Math.min(6, Number(level));
  if (/^title$/i.test(paragraph.styleName ?? paragraph.styleId ?? "")) return 1;
  return null;
}

function inlineText(elements: readonly DocxElement[], noteNumber: NoteNumber): string {
  let text = "";
  for (const element of elements) {
    switch (element.type) {
      case "text":
        text += element.value ?? "";
        break;
      case "tab":
        text += "\t";
        break;
      case "break":
        text += "\n";
        break;
      case "checkbox":
        text += element.checked ? "[x] " : "[ ] ";
        break;
      case "image":
        if (element.altText?.trim()) text += ` [Image: ${oneLine(element.altText, 500)}] `;
        break;
      case "noteReference":
        text += `[${noteNumber(element)}]`;
        break;
      default:
        if (element.children) text += inlineText(element.children, noteNumber);
    }
  }
  return text.replace(/[ \t]+/g, " ");
}

/** A cell's or a note's paragraphs (and any nested table's text) on one line each, joined. */
function paragraphsText(elements: readonly DocxElement[], noteNumber: NoteNumber): string {
  const lines: string[] = [];
  for (const element of elements) {
    if (element.type === "paragraph") lines.push(inlineText(element.children ?? [], noteNumber).trim());
    else if (element.children) lines.push(paragraphsText(element.children, noteNumber));
  }
  return lines.filter((line) => line !== "").join(" ");
}

/**
 * Rows of cell texts on the table's grid: a cell spanning columns is followed by empty cells,
 * and the rows below a cell spanning rows get an empty cell in its place. Header rows are the
 * rows marked "repeat as header row", else the first row when every cell of it has text.
 */
function tableContent(table: DocxElement, noteNumber: NoteNumber): TableContent {
  const rows: string[][] = [];
  const headerFlags: boolean[] = [];
  const spanning: number[] = [];
  for (const row of (table.children ?? []).filter((child) => child.type === "tableRow")) {
    const cells: string[] = [];
    const place = (text: string, rowSpan: number) => {
      while ((spanning[cells.length] ?? 0) > 0) {
        spanning[cells.length] = (spanning[cells.length] ?? 1) - 1;
        cells.push("");
      }
      spanning[cells.length] = rowSpan - 1;
      cells.push(text);
    };
    for (const cell of (row.children ?? []).filter((child) => child.type === "tableCell")) {
      const rowSpan = Math.max(1, cell.rowSpan ?? 1);
      place(paragraphsText(cell.children ?? [], noteNumber), rowSpan);
      for (let extra = 1; extra < Math.min(64, cell.colSpan ?? 1); extra++) place("", rowSpan);
    }
    while ((spanning[cells.length] ?? 0) > 0) {
      spanning[cells.length] = (spanning[cells.length] ?? 1) - 1;
      cells.push("");
    }
    if (cells.some((cell) => cell !== "")) {
      rows.push(cells);
      headerFlags.push(row.isHeader === true);
    }
  }
  const marked = headerFlags.findIndex((isHeader) => !isHeader);
  const markedCount = marked === -1 ? headerFlags.length : marked;
  const firstRow = rows[0] ?? [];
  const headerRowCount =
    markedCount > 0 ? markedCount : rows.length > 1 && firstRow.every((cell) => cell !== "") ? 1 : 0;
  return { rows, headerRowCount, caption: null };
}
