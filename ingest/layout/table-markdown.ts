import type { TableContent } from "../types";

/**
 * A table as GitHub-flavoured Markdown: the caption (if any) on its own line, the header row,
 * the `---` separator, the body rows. Several header rows are merged per column (Markdown has
 * one); a table without a recognised header gets an empty one, so no data row is mislabelled.
 */
export function tableToMarkdown(table: TableContent): string {
  return renderPart(table, table.rows.slice(table.headerRowCount));
}

/**
 * The table's Markdown in as few parts as fit `maxTokens` each: whole when it fits, else split
 * only between rows, every part repeating the caption and the header. A single row that does not
 * fit with the header is still one part of its own (rows are never cut).
 */
export function splitTableMarkdown(
  table: TableContent,
  countTokens: (text: string) => number,
  maxTokens: number,
): string[] {
  const whole = tableToMarkdown(table);
  const body = table.rows.slice(table.headerRowCount);
  if (countTokens(whole) <= maxTokens || body.length <= 1) return [whole];

  const frameTokens = countTokens(renderPart(table, []));
  const parts: string[] = [];
  let current: string[][] = [];
  let currentTokens = frameTokens;
  for (const row of body) {
    // Each row's own line plus its newline; counting rows separately keeps this linear.
    const rowTokens = countTokens(`${renderRow(row)}\n`);
    if (current.length > 0 && currentTokens + rowTokens > maxTokens) {
      parts.push(renderPart(table, current));
      current = [];
      currentTokens = frameTokens;
    }
    current.push(row);
    currentTokens += rowTokens;
  }
  if (current.length > 0) parts.push(renderPart(table, current));
  return parts;
}

function renderPart(table: TableContent, bodyRows: readonly (readonly string[])[]): string {
  const columnCount = Math.max(1, ...table.rows.map((row) => row.length));
  const headerRows = table.rows.slice(0, table.headerRowCount);
  const header = Array.from({ length: columnCount }, (_, column) =>
    headerRows
      .map((row) => row[column] ?? "")
      .filter((cell) => cell.trim() !== "")
      .join(" "),
  );
  const lines = [
    renderRow(header),
    renderRow(Array.from({ length: columnCount }, () => "---")),
    ...bodyRows.map((row) =>
      renderRow(Array.from({ length: columnCount }, (_, column) => row[column] ?? "")),
    ),
  ];
  const caption = table.caption?.replace(/\s+/g, " ").trim();
  return caption ? `${caption}\n\n${lines.join("\n")}` : lines.join("\n");
}

function renderRow(cells: readonly string[]): string {
  return `| ${cells.map(escapeCell).join(" | ")} |`;
}

/** Pipes would end the cell, backslashes could escape our pipes, newlines would end the row. */
function escapeCell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\s+/g, " ").trim();
}
