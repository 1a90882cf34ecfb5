"use client";

/** A piece of a passage: plain text, or a Markdown table split into header and body cells. */
export type PassagePart =
  | { kind: "text"; text: string }
  | { kind: "table"; header: string[]; rows: string[][] };

const separatorRow = /^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$/;

/** Cells of one `| a | b |` line; `\|` is a literal bar inside a cell. */
function cellsOf(line: string): string[] {
  const inner = line.trim().replace(/^\|/, "").replace(/\|$/, "");
  return inner.split(/(?<!\\)\|/).map((cell) => cell.trim().replaceAll("\\|", "|"));
}

/**
 * Splits a passage into text and the Markdown tables it holds (a header line, a `---` separator,
 * rows). Cells stay strings and are rendered as text by React: a passage can never inject markup.
 */
export function splitPassage(text: string): PassagePart[] {
  const lines = text.split("\n");
  const parts: PassagePart[] = [];
  let pending: string[] = [];
  const flushText = () => {
    const joined = pending.join("\n").trim();
    if (joined) parts.push({ kind: "text", text: joined });
    pending = [];
  };
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? "";
    const next = lines[index + 1] ?? "";
    if (line.trim().startsWith("|") && separatorRow.test(next.trim())) {
      flushText();
      const header = cellsOf(line);
      const rows: string[][] = [];
      index += 2;
      while (index < lines.length && (lines[index] ?? "").trim().startsWith("|")) {
        rows.push(cellsOf(lines[index] ?? ""));
        index += 1;
      }
      index -= 1;
      parts.push({ kind: "table", header, rows });
    } else {
      pending.push(line);
    }
  }
  flushText();
  return parts;
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
          // biome-ignore lint/suspicious/noArrayIndexKey: as above
          <table key={index} className="passage-table" data-testid="citation-table">
            <thead>
              <tr>
                {part.header.map((cell, column) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: columns are positional
                  <th key={column} scope="col">
                    {cell}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {part.rows.map((row, rowIndex) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional
                <tr key={rowIndex}>
                  {row.map((cell, column) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: columns are positional
                    <td key={column}>{cell}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        ),
      )}
    </blockquote>
  );
}
