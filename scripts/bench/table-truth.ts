import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

/** A ground-truth or predicted table as cells with row and column spans (0-based, inclusive). */
export interface TruthCell {
  text: string;
  startRow: number;
  endRow: number;
  startColumn: number;
  endColumn: number;
}

export interface TruthTable {
  /** 1-based page, or null when the ground truth does not say (tabula CSV). */
  pageNumber: number | null;
  cells: TruthCell[];
}

export interface TruthDocument {
  corpus: "icdar2013" | "tabula";
  name: string;
  pdfPath: string;
  tables: TruthTable[];
}

/** ICDAR 2013 `<doc>-str.xml`: one table per region (a table continued on the next page is two). */
export async function loadIcdarDocuments(directory: string): Promise<TruthDocument[]> {
  if (!existsSync(directory)) return [];
  const names = (await readdir(directory)).filter((name) => name.endsWith("-str.xml")).sort();
  const documents: TruthDocument[] = [];
  for (const name of names) {
    const xml = await readFile(path.join(directory, name), "utf8");
    const tables: TruthTable[] = [];
    for (const region of xml.matchAll(/<region\b([^>]*)>([\s\S]*?)<\/region>/g)) {
      const page = Number(attribute(region[1] ?? "", "page"));
      const cells: TruthCell[] = [];
      for (const cell of (region[2] ?? "").matchAll(/<cell\b([^>]*)>([\s\S]*?)<\/cell>/g)) {
        const attributes = cell[1] ?? "";
        const startRow = Number(attribute(attributes, "start-row"));
        const startColumn = Number(attribute(attributes, "start-col"));
        const endRow = Number(attribute(attributes, "end-row") ?? startRow);
        const endColumn = Number(attribute(attributes, "end-col") ?? startColumn);
        const content = /<content>([\s\S]*?)<\/content>/.exec(cell[2] ?? "")?.[1] ?? "";
        cells.push({ text: decodeEntities(content), startRow, endRow, startColumn, endColumn });
      }
      tables.push({ pageNumber: Number.isFinite(page) ? page : null, cells });
    }
    const base = name.replace(/-str\.xml$/, "");
    documents.push({ corpus: "icdar2013", name: base, pdfPath: path.join(directory, `${base}.pdf`), tables });
  }
  return documents;
}

/** tabula-java's expected output: `.expected.json` (tables with their page) or else `.expected.csv`. */
export async function loadTabulaDocuments(directory: string): Promise<TruthDocument[]> {
  if (!existsSync(directory)) return [];
  const files = await readdir(directory);
  const bases = [
    ...new Set(files.filter((name) => name.endsWith(".expected.csv")).map((name) => name.slice(0, -13))),
  ].sort();
  const documents: TruthDocument[] = [];
  for (const base of bases) {
    const pdfPath = path.join(directory, `${base}.pdf`);
    if (!existsSync(pdfPath)) continue;
    const jsonPath = path.join(directory, `${base}.expected.json`);
    let tables: TruthTable[];
    if (existsSync(jsonPath)) {
      type TabulaTable = { page_number?: number; data: { text: string }[][] };
      const parsed = JSON.parse(await readFile(jsonPath, "utf8")) as TabulaTable | TabulaTable[];
      tables = (Array.isArray(parsed) ? parsed : [parsed]).map((table) => ({
        pageNumber: table.page_number ?? null,
        cells: gridCells(table.data.map((row) => row.map((cell) => cell.text))),
      }));
    } else {
      tables = [
        {
          pageNumber: null,
          cells: gridCells(parseCsv(await readFile(path.join(directory, `${base}.expected.csv`), "utf8"))),
        },
      ];
    }
    documents.push({ corpus: "tabula", name: base, pdfPath, tables });
  }
  return documents;
}

/** A plain grid (no spans) as cells; empty cells are kept out, as ICDAR's ground truth does. */
export function gridCells(rows: readonly (readonly string[])[]): TruthCell[] {
  return rows.flatMap((row, rowIndex) =>
    row.flatMap((text, column) =>
      text.trim() === ""
        ? []
        : [{ text, startRow: rowIndex, endRow: rowIndex, startColumn: column, endColumn: column }],
    ),
  );
}

function attribute(attributes: string, name: string): string | undefined {
  return new RegExp(`\\b${name}=["']([^"']*)["']`).exec(attributes)?.[1];
}

function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&amp;/g, "&");
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (quoted) {
      if (character === '"' && text[index + 1] === '"') {
        field += '"';
        index++;
      } else if (character === '"') quoted = false;
      else field += character;
    } else if (character === '"') quoted = true;
    else if (character === ",") {
      row.push(field);
      field = "";
    } else if (character === "\n" || character === "\r") {
      if (character === "\r" && text[index + 1] === "\n") index++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += character;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
