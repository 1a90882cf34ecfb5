/** Left-aligned columns for a terminal; an empty table prints its `empty` line instead. */
export function formatTable(headers: readonly string[], rows: readonly string[][], empty: string): string[] {
  if (rows.length === 0) return [empty];
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** `2026-12-02 14:05Z`, or `-` for none: minutes are enough to tell tokens and users apart. */
export function formatTime(date: Date | null): string {
  return date ? `${date.toISOString().slice(0, 16).replace("T", " ")}Z` : "-";
}

export function yesNo(value: boolean): string {
  return value ? "yes" : "no";
}
