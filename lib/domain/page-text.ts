/**
 * Pages of documents without page images (text, Markdown, HTML, Office): a page is its blocks'
 * texts joined by this separator, and a block's box `[0, start, 1, end]` is its span of that text
 * (UTF-16 code units), so a chunk's box is the part of the page text to highlight.
 */
export const pageTextBlockSeparator = "\n\n";

/** A text page's text, as its chunk boxes index it. */
export function pageTextOf(blocks: readonly { text: string }[]): string {
  return blocks.map((block) => block.text).join(pageTextBlockSeparator);
}

/** One page of such a document, as the page routes serve it. */
export interface TextPage {
  pageNumber: number;
  pageCount: number;
  /** What the document calls the page ("Slide 3", a section heading), or null. */
  label: string | null;
  text: string;
}

/**
 * How a citation names a page: by its label when the document has one ("Slide 3", "Sheet:
 * Revenue", a section heading), else "page 3" (`capitalized`: "Page 3").
 */
export function pageNameOf(
  page: { pageNumber: number; pageLabel?: string | null },
  options: { capitalized?: boolean } = {},
): string {
  if (page.pageLabel) return page.pageLabel;
  return `${options.capitalized ? "Page" : "page"} ${page.pageNumber}`;
}

/** A row of a Markdown table in a text page: its span of the page text and its cells' texts. */
export interface PageTableRow {
  start: number;
  end: number;
  cells: string[];
}

/**
 * A text page cut for display: running text, and the Markdown tables Folio wrote for tables
 * (Office and HTML tables, Markdown's own), each span in the page text's offsets so a highlight
 * range can be drawn on either. The newlines between a table and the text around it belong to
 * no part (the table is a block of its own).
 */
export type PageTextPart =
  | { kind: "text"; start: number; end: number }
  | { kind: "table"; start: number; end: number; header: PageTableRow; rows: PageTableRow[] };

const tableRowLine = /^\|.*\|$/;
const tableSeparatorLine = /^\|(?:\s*:?-{3,}:?\s*\|)+$/;

export function pageTextParts(text: string): PageTextPart[] {
  const lines: { start: number; end: number; text: string }[] = [];
  for (let start = 0; start <= text.length; ) {
    const newline = text.indexOf("\n", start);
    const end = newline === -1 ? text.length : newline;
    lines.push({ start, end, text: text.slice(start, end) });
    start = end + 1;
  }
  const parts: PageTextPart[] = [];
  let textStart = 0;
  const pushText = (end: number) => {
    let [start, stop] = [textStart, end];
    while (stop > start && text[stop - 1] === "\n") stop -= 1;
    while (start < stop && text[start] === "\n") start += 1;
    if (text.slice(start, stop).trim() !== "") parts.push({ kind: "text", start, end: stop });
  };
  for (let index = 0; index < lines.length; index += 1) {
    const header = lines[index];
    const separator = lines[index + 1];
    if (
      !header ||
      !separator ||
      !tableRowLine.test(header.text) ||
      !tableSeparatorLine.test(separator.text)
    ) {
      continue;
    }
    let last = index + 1;
    while (tableRowLine.test(lines[last + 1]?.text ?? "")) last += 1;
    pushText(header.start);
    const row = (line: { start: number; end: number; text: string }) => ({
      start: line.start,
      end: line.end,
      cells: tableCells(line.text),
    });
    const lastLine = lines[last] ?? separator;
    parts.push({
      kind: "table",
      start: header.start,
      end: lastLine.end,
      header: row(header),
      rows: lines.slice(index + 2, last + 1).map(row),
    });
    textStart = lastLine.end;
    index = last;
  }
  pushText(text.length);
  return parts;
}

/** `| a | b \| c |` → ["a", "b | c"]: a backslash escapes the next character (our own pipes). */
function tableCells(line: string): string[] {
  const cells: string[] = [];
  let cell = "";
  for (let index = 1; index < line.length - 1; index += 1) {
    const character = line[index];
    if (character === "\\" && index + 1 < line.length - 1) {
      cell += line[index + 1];
      index += 1;
    } else if (character === "|") {
      cells.push(cell.trim());
      cell = "";
    } else {
      cell += character;
    }
  }
  cells.push(cell.trim());
  return cells;
}

/**
 * Which rows of a page's table a passage covers: the rows inside the highlight `range` whose line
 * is one of the passage's lines. A part of a table split into passages repeats the header, and its
 * box is the whole table's; its own lines tell its rows. When no body row's line is found in the
 * passage (text the passage holds otherwise), every row inside the range counts.
 */
export function citedTableRows(
  text: string,
  table: Extract<PageTextPart, { kind: "table" }>,
  range: [number, number] | null,
  passageText: string | undefined,
): { header: boolean; rows: boolean[] } {
  const inRange = (row: PageTableRow) => range !== null && row.start < range[1] && range[0] < row.end;
  const passageLines = new Set((passageText ?? "").split("\n").map((line) => line.trim()));
  const inPassage = (row: PageTableRow) => passageLines.has(text.slice(row.start, row.end).trim());
  const byLine = table.rows.map((row) => inRange(row) && inPassage(row));
  const rows = byLine.some(Boolean) ? byLine : table.rows.map(inRange);
  return { header: inRange(table.header), rows };
}
