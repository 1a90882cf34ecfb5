"use client";

import { pageTextParts } from "../../lib/domain/page-text";

/** A piece of a passage: plain text, or a Markdown table split into header and body cells. */
export type PassagePart =
  | { kind: "text"; text: string }
  | { kind: "table"; header: string[]; rows: string[][] };

/**
 * Splits a passage into text and the Markdown tables it holds (a header line, a `---` separator,
 * rows), as a text page is split for display. Cells stay strings and are rendered as text by
 * React: a passage can never inject markup.
 */
export function splitPassage(text: string): PassagePart[] {
  return pageTextParts(text).map((part) =>
    part.kind === "text"
      ? { kind: "text", text: text.slice(part.start, part.end).trim() }
      : { kind: "table", header: part.header.cells, rows: part.rows.map((row) => row.cells) },
  );
}

/** The passage the model was shown, with its tables as tables. */
export function PassageText({ text }: { text: string }) {
  const parts = splitPassage(text);
  if (!parts.some((part) => part.kind === "table")) {
    return <blockquote data-testid="citation-passage">{text}</blockquote>;
  }
  return (
    <blockquote data-testid="citation-passage" className="passage-with-table">
      {parts.map((part, index) =>
        part.kind === "text" ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts never reorder; the index is their identity
          <p key={index}>{part.text}</p>
        ) : (
          <TextTable
            // biome-ignore lint/suspicious/noArrayIndexKey: as above
            key={index}
            header={part.header}
            rows={part.rows}
            className="passage-table"
            testId="citation-table"
          />
        ),
      )}
    </blockquote>
  );
}

/**
 * A Markdown table's cells as a table, every row as wide as the widest. `marked` rows (a cited
 * passage's rows on its page) carry the highlight and the `page-highlight` test id.
 */
export function TextTable({
  header,
  rows,
  className,
  testId,
  marked,
}: {
  header: readonly string[];
  rows: readonly (readonly string[])[];
  className: string;
  testId: string;
  marked?: { header: boolean; rows: readonly boolean[] };
}) {
  const width = Math.max(header.length, ...rows.map((row) => row.length));
  const padded = (row: readonly string[]) => Array.from({ length: width }, (_, column) => row[column] ?? "");
  const markOf = (isMarked: boolean | undefined) =>
    isMarked ? { className: "page-text-highlight", "data-testid": "page-highlight" } : {};
  return (
    <table className={className} data-testid={testId}>
      <thead>
        <tr {...markOf(marked?.header)}>
          {padded(header).map((cell, column) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: columns are positional
            <th key={column} scope="col">
              {cell}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, rowIndex) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional
          <tr key={rowIndex} {...markOf(marked?.rows[rowIndex])}>
            {padded(row).map((cell, column) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: columns are positional
              <td key={column}>{cell}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
