import ExcelJS from "exceljs";
import { z } from "zod";
import { AppError } from "../../lib/errors";
import type { FlowBlock } from "../text/flow-blocks";
import { headingBlock, labelledPage, oneLine, tableBlock } from "./office-blocks";
import type { OfficeContent } from "./office-content";
import type { OfficeTextBudget } from "./office-text-budget";
import { readCoreTitle } from "./ooxml-xml";
import { repackArchive } from "./repack-archive";
import type { OfficeArchive } from "./safe-archive";
import { cellText } from "./xlsx-cell-text";

export const xlsxOptionsSchema = z
  .object({
    /** Body rows per table block; each block repeats the header row. @default 100 */
    rowsPerTable: z.number().int().min(1).default(100),
  })
  .strict();
export type XlsxOptions = z.input<typeof xlsxOptionsSchema>;

/**
 * A workbook (.xlsx, .xlsm) through exceljs: one page per sheet in workbook order, labelled
 * "Sheet: <name>" ("(hidden)" added for hidden sheets, which are read too), headed by the sheet's
 * name. The used range becomes Markdown tables: the first non-empty row is the header, repeated
 * on every table of `rowsPerTable` rows; empty rows and columns are left out. Formulas are read
 * as the values Excel cached when it saved the file, never evaluated. Sheets without any value,
 * charts, images and pivot caches add nothing.
 */
export async function readXlsx(
  archive: OfficeArchive,
  budget: OfficeTextBudget,
  options: XlsxOptions = {},
): Promise<OfficeContent> {
  const { rowsPerTable } = xlsxOptionsSchema.parse(options);
  if (!archive.xmlParts.has("xl/workbook.xml")) {
    throw new AppError("invalid:office_malformed", {
      message: "The file is not an Excel workbook: it has no xl/workbook.xml.",
    });
  }
  const workbook = new ExcelJS.Workbook();
  try {
    // exceljs types its input with an older Buffer declaration than @types/node's.
    await workbook.xlsx.load(repackArchive(archive) as unknown as Parameters<typeof workbook.xlsx.load>[0]);
  } catch (error) {
    throw new AppError("invalid:office_malformed", {
      message: "The Excel workbook could not be read (a damaged or unusual part).",
      cause: error,
    });
  }
  const pages = [];
  for (const worksheet of workbook.worksheets) {
    const rows = usedRows(worksheet, budget);
    if (rows.length === 0) continue;
    const isHidden = worksheet.state !== "visible";
    const name = oneLine(worksheet.name, 100);
    const blocks: FlowBlock[] = [headingBlock(name, 1)];
    const [header = [], ...body] = rows;
    for (let start = 0; start < Math.max(1, body.length); start += rowsPerTable) {
      blocks.push(
        tableBlock({
          rows: [header, ...body.slice(start, start + rowsPerTable)],
          headerRowCount: 1,
          caption: null,
        }),
      );
    }
    pages.push(labelledPage(pages.length + 1, `Sheet: ${name}${isHidden ? " (hidden)" : ""}`, blocks));
  }
  return { title: readCoreTitle(archive.xmlParts), pages };
}

/**
 * The sheet's non-empty rows as cell texts, over the columns that hold any value. Each cell's text
 * is spent from the budget as it is read: one shared string may fill every cell.
 */
function usedRows(worksheet: ExcelJS.Worksheet, budget: OfficeTextBudget): string[][] {
  const sparse: Map<number, string>[] = [];
  const usedColumns = new Set<number>();
  worksheet.eachRow({ includeEmpty: false }, (row) => {
    const cells = new Map<number, string>();
    row.eachCell({ includeEmpty: false }, (cell, column) => {
      // A merged range's value belongs to its first cell only.
      if (cell.isMerged && cell.master.address !== cell.address) return;
      const text = cellText(cell.value, cell.numFmt);
      if (text === "") return;
      budget.spend(text.length);
      cells.set(column, text);
      usedColumns.add(column);
    });
    if (cells.size > 0) sparse.push(cells);
  });
  const columns = [...usedColumns].sort((a, b) => a - b);
  return sparse.map((cells) => columns.map((column) => cells.get(column) ?? ""));
}
