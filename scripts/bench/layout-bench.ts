import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { getDocument, OPS, VerbosityLevel } from "pdfjs-dist/legacy/build/pdf.mjs";
import { findTables, type Segment } from "../../ingest/layout/find-tables";
import { rulingsFromOperatorList } from "../../ingest/layout/page-rulings";
import { convertTextItems, type PdfjsTextItem, type PdfjsTextStyle } from "../../ingest/pdf/pdf-text-items";
import type { TextItem } from "../../ingest/types";
import { writeBenchReport } from "./bench-report";
import {
  addCounts,
  adjacencyRelations,
  type Counts,
  countMatches,
  normalizeCellText,
  scores,
} from "./table-score";
import { gridCells, loadIcdarDocuments, loadTabulaDocuments, type TruthDocument } from "./table-truth";

/**
 * `npm run bench -- layout`: table structure against ICDAR 2013 (`-str.xml`) and tabula-java's
 * expected outputs, as ICDAR 2013's adjacency-relation precision/recall and as cell-text
 * precision/recall, on the pages that have ground truth. Three methods in the same run: Folio
 * with the page's ruling lines, Folio from text alignment alone, and a plain baseline that makes
 * every line a row and splits it at wide gaps (what reading the text layer line by line gives).
 */
const methods = ["folio (rulings + alignment)", "folio (alignment only)", "baseline: line = row"] as const;
type Method = (typeof methods)[number];

interface PageInput {
  items: TextItem[];
  rulings: Segment[];
  width: number;
  height: number;
}

export interface LayoutBenchRow {
  corpus: string;
  method: Method;
  documents: number;
  truthTables: number;
  foundTables: number;
  relationPrecision: number;
  relationRecall: number;
  relationF1: number;
  cellPrecision: number;
  cellRecall: number;
  cellF1: number;
  /** Tables found on pages the ground truth says have none (ICDAR only: its truth is exhaustive). */
  extraTables: number | null;
  msPerPage: number;
}

export interface LayoutBenchResult {
  rows: LayoutBenchRow[];
  perDocument: { corpus: string; name: string; method: Method; relationF1: number; cellF1: number }[];
}

export async function runLayoutBench(pdfsDir: string): Promise<LayoutBenchResult> {
  await loadPdfjsWorker();
  const documents = [
    ...(await loadIcdarDocuments(path.join(pdfsDir, "tables-icdar2013"))),
    ...(await loadTabulaDocuments(path.join(pdfsDir, "tables-tabula"))),
  ];
  const totals = new Map<
    string,
    {
      relations: Counts;
      cells: Counts;
      docs: number;
      truth: number;
      found: number;
      extra: number;
      ms: number;
      pages: number;
    }
  >();
  const perDocument: LayoutBenchResult["perDocument"] = [];

  for (const document of documents) {
    const pages = await readPages(document.pdfPath);
    const truthPages = evaluatedPages(document, pages);
    const truthCells = document.tables.map((table) => table.cells);
    const truthRelations = truthCells.flatMap((cells) => adjacencyRelations(cells));
    const truthTexts = truthCells
      .flat()
      .map((cell) => normalizeCellText(cell.text))
      .filter(Boolean);

    for (const method of methods) {
      const started = performance.now();
      const predictedByPage = pages.map((page) => predict(method, page));
      const ms = performance.now() - started;
      const evaluated = predictedByPage.filter((_, index) => truthPages.has(index + 1)).flat();
      const relations = countMatches(
        evaluated.flatMap((rows) => adjacencyRelations(gridCells(rows))),
        truthRelations,
      );
      const cells = countMatches(
        evaluated.flatMap((rows) => rows.flat().map(normalizeCellText).filter(Boolean)),
        truthTexts,
      );
      const extra =
        document.corpus === "icdar2013"
          ? predictedByPage.filter((_, index) => !truthPages.has(index + 1)).flat().length
          : 0;
      const key = `${document.corpus}\u0000${method}`;
      const total = totals.get(key) ?? {
        relations: { correct: 0, predicted: 0, truth: 0 },
        cells: { correct: 0, predicted: 0, truth: 0 },
        docs: 0,
        truth: 0,
        found: 0,
        extra: 0,
        ms: 0,
        pages: 0,
      };
      total.relations = addCounts(total.relations, relations);
      total.cells = addCounts(total.cells, cells);
      total.docs += 1;
      total.truth += document.tables.length;
      total.found += evaluated.length;
      total.extra += extra;
      total.ms += ms;
      total.pages += pages.length;
      totals.set(key, total);
      perDocument.push({
        corpus: document.corpus,
        name: document.name,
        method,
        relationF1: round(scores(relations).f1),
        cellF1: round(scores(cells).f1),
      });
    }
  }

  const rows: LayoutBenchRow[] = [];
  for (const [key, total] of totals) {
    const [corpus = "", method] = key.split("\u0000") as [string, Method];
    const relation = scores(total.relations);
    const cell = scores(total.cells);
    rows.push({
      corpus,
      method,
      documents: total.docs,
      truthTables: total.truth,
      foundTables: total.found,
      relationPrecision: round(relation.precision),
      relationRecall: round(relation.recall),
      relationF1: round(relation.f1),
      cellPrecision: round(cell.precision),
      cellRecall: round(cell.recall),
      cellF1: round(cell.f1),
      extraTables: corpus === "icdar2013" ? total.extra : null,
      msPerPage: round(total.ms / Math.max(total.pages, 1)),
    });
  }
  return { rows, perDocument };
}

/** Markdown table of the results (the benchmark's printed output and BENCHMARKS.md's source). */
export function layoutBenchMarkdown(result: LayoutBenchResult): string {
  const header =
    "| corpus | method | docs | tables (truth / found) | adjacency P | R | F1 | cell text P | R | F1 | extra tables | ms/page |";
  const separator = "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
  const lines = result.rows.map(
    (row) =>
      `| ${row.corpus} | ${row.method} | ${row.documents} | ${row.truthTables} / ${row.foundTables} | ${row.relationPrecision.toFixed(3)} | ${row.relationRecall.toFixed(3)} | ${row.relationF1.toFixed(3)} | ${row.cellPrecision.toFixed(3)} | ${row.cellRecall.toFixed(3)} | ${row.cellF1.toFixed(3)} | ${row.extraTables ?? "—"} | ${row.msPerPage} |`,
  );
  return [header, separator, ...lines].join("\n");
}

function predict(method: Method, page: PageInput): string[][][] {
  if (method === "baseline: line = row") return [baselineRows(page.items)];
  const rulings = method === "folio (rulings + alignment)" ? page.rulings : [];
  return findTables(page.items, page, rulings).map((table) => table.rows);
}

/**
 * The baseline: the whole page is one table; items whose vertical centres are within half a
 * line are a row, split into cells at gaps wider than one em.
 */
function baselineRows(items: readonly TextItem[]): string[][] {
  const sorted = [...items].sort((a, b) => a.box[1] + a.box[3] - (b.box[1] + b.box[3]));
  const rows: TextItem[][] = [];
  for (const item of sorted) {
    const row = rows.at(-1);
    const first = row?.[0];
    const center = (item.box[1] + item.box[3]) / 2;
    if (
      row &&
      first &&
      Math.abs(center - (first.box[1] + first.box[3]) / 2) <= 0.5 * (first.box[3] - first.box[1])
    )
      row.push(item);
    else rows.push([item]);
  }
  return rows.map((row) => {
    const cells: string[] = [];
    let last: TextItem | null = null;
    for (const item of [...row].sort((a, b) => a.box[0] - b.box[0])) {
      if (last && item.box[0] - last.box[2] <= Math.max(item.fontSize, 1))
        cells[cells.length - 1] += ` ${item.text}`;
      else cells.push(item.text);
      last = item;
    }
    return cells;
  });
}

/** Pages with ground truth; tabula CSVs without a page: the page holding most of the truth's cell texts. */
function evaluatedPages(document: TruthDocument, pages: readonly PageInput[]): Set<number> {
  const numbered = document.tables
    .map((table) => table.pageNumber)
    .filter((page): page is number => page !== null);
  if (numbered.length === document.tables.length) return new Set(numbered);
  const truthTexts = new Set(
    document.tables.flatMap((table) => table.cells.map((cell) => normalizeCellText(cell.text))),
  );
  let best = { page: 1, hits: -1 };
  pages.forEach((page, index) => {
    const pageText = normalizeCellText(page.items.map((item) => item.text).join(""));
    const hits = [...truthTexts].filter((text) => text !== "" && pageText.includes(text)).length;
    if (hits > best.hits) best = { page: index + 1, hits };
  });
  return new Set([...numbered, best.page]);
}

const pdfjsDirectory = path.dirname(createRequire(import.meta.url).resolve("pdfjs-dist/package.json"));

async function readPages(filePath: string): Promise<PageInput[]> {
  const loadingTask = getDocument({
    data: new Uint8Array(await readFile(filePath)),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    verbosity: VerbosityLevel.ERRORS,
    cMapUrl: `${path.join(pdfjsDirectory, "cmaps")}${path.sep}`,
    cMapPacked: true,
    standardFontDataUrl: `${path.join(pdfjsDirectory, "standard_fonts")}${path.sep}`,
  });
  try {
    const document = await loadingTask.promise;
    const pages: PageInput[] = [];
    for (let pageNumber = 1; pageNumber <= document.numPages; pageNumber++) {
      const page = await document.getPage(pageNumber);
      const viewport = page.getViewport({ scale: 1 });
      const content = await page.getTextContent();
      const operatorList = await page.getOperatorList();
      pages.push({
        items: convertTextItems(
          content.items as PdfjsTextItem[],
          content.styles as Record<string, PdfjsTextStyle>,
          viewport.transform,
        ),
        rulings: rulingsFromOperatorList(operatorList, OPS, viewport.transform),
        width: viewport.width,
        height: viewport.height,
      });
      page.cleanup();
    }
    return pages;
  } finally {
    await loadingTask.destroy();
  }
}

async function loadPdfjsWorker(): Promise<void> {
  // pdf.js runs its worker in this thread under Node; loading it up front as the child does.
  // @ts-expect-error pdfjs-dist ships no type declarations for its worker module.
  const workerModule: unknown = await import("pdfjs-dist/legacy/build/pdf.worker.mjs");
  (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = workerModule;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The tables figures as a results file for docs/BENCHMARKS.md. */
export async function writeLayoutReport(result: LayoutBenchResult): Promise<void> {
  const columns = ["corpus", "method", "tables (truth / found)", "adjacency F1", "cell text F1"];
  const rows = result.rows.map((row) => [
    row.corpus,
    row.method,
    `${row.truthTables} / ${row.foundTables}`,
    row.relationF1,
    row.cellF1,
  ]);
  const folio = result.rows.filter((row) => row.method === "folio (rulings + alignment)");
  await writeBenchReport({
    name: "layout",
    title: "Tables: cell structure against ICDAR 2013 and tabula-java ground truth",
    reference: "a plain baseline in the same run (every line a row, split at gaps wider than 1 em)",
    columns,
    rows,
    charts: [
      {
        title: "Cell adjacency F1",
        unit: "F1",
        bars: result.rows.map((row) => ({
          label: `${row.corpus}: ${row.method}`,
          value: row.relationF1,
          reference: row.method.startsWith("baseline"),
        })),
      },
    ],
    notes: [
      `Folio with rulings: adjacency F1 ${folio.map((row) => `${row.relationF1} (${row.corpus})`).join(", ")}.`,
      "The rules were tuned on these development files; the held-out set has not been measured.",
    ],
  });
}
