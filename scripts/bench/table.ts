export type TableCell = string | number | null;

/** Prints a titled, column-aligned table; numbers are right-aligned, null shows as "—". */
export function printTable(
  title: string,
  header: readonly string[],
  rows: readonly (readonly TableCell[])[],
): void {
  const cells = [header.map(String), ...rows.map((row) => row.map(formatCell))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? "").length)));
  const isNumeric = header.map((_, column) => rows.every((row) => typeof row[column] !== "string"));
  const formatRow = (row: readonly string[]) =>
    row
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return isNumeric[column] && column > 0 ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ");
  console.log(`\n${title}`);
  console.log(formatRow(cells[0] ?? []));
  console.log(widths.map((width) => "-".repeat(width)).join("  "));
  for (const row of cells.slice(1)) console.log(formatRow(row));
}

function formatCell(cell: TableCell): string {
  if (cell === null || (typeof cell === "number" && !Number.isFinite(cell))) return "—";
  return String(cell);
}
