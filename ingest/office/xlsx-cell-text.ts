import { oneLine } from "./office-blocks";

/** A cell as exceljs reads it (`cell.value`), with its number format. */
export type CellValue =
  | null
  | undefined
  | number
  | string
  | boolean
  | Date
  | { richText: { text: string }[] }
  | { text: unknown; hyperlink?: string }
  | { formula?: string; sharedFormula?: string; result?: unknown }
  | { error: string };

const maxCellCharacters = 2000;

/**
 * A cell's text as a reader would see it: formulas by their cached result (never evaluated),
 * dates as ISO dates (with the time when there is one), percentages and fixed decimals as their
 * format asks, other numbers without binary-float noise, booleans as TRUE/FALSE, errors as Excel
 * shows them (#N/A), rich text and hyperlinks by their text.
 */
export function cellText(value: CellValue | unknown, numberFormat: string | undefined): string {
  return oneLine(rawText(value, numberFormat ?? ""), maxCellCharacters);
}

function rawText(value: unknown, numberFormat: string): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return formatNumber(value, numberFormat);
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (value instanceof Date) return formatDate(value);
  if (typeof value !== "object") return String(value);
  if ("richText" in value && Array.isArray(value.richText)) {
    return value.richText.map((run: { text?: unknown }) => String(run.text ?? "")).join("");
  }
  if ("error" in value) return String(value.error);
  if ("formula" in value || "sharedFormula" in value) {
    return "result" in value ? rawText(value.result, numberFormat) : "";
  }
  if ("text" in value) return rawText(value.text, numberFormat);
  return "";
}

function formatNumber(value: number, numberFormat: string): string {
  if (!Number.isFinite(value)) return String(value);
  // The format's first section (positive numbers), without quoted text and colours.
  const format = (numberFormat.split(";")[0] ?? "").replace(/"[^"]*"|\[[^\]]*\]/g, "");
  const decimals = /0\.(0+)/.exec(format)?.[1]?.length;
  if (format.includes("%")) {
    return `${(value * 100).toFixed(decimals ?? 0)}%`;
  }
  if (decimals !== undefined || format.includes("#,##0")) {
    return value.toLocaleString("en-US", {
      minimumFractionDigits: decimals ?? 0,
      maximumFractionDigits: decimals ?? 0,
      useGrouping: format.includes(","),
    });
  }
  return String(Number(value.toPrecision(15)));
}

/** exceljs gives dates in UTC: "2024-03-31", "2024-03-31 14:05", "14:05:30" for a time alone. */
function formatDate(date: Date): string {
  if (Number.isNaN(date.getTime())) return "";
  const iso = date.toISOString();
  const day = iso.slice(0, 10);
  const time = iso.slice(11, 19);
  if (time === "00:00:00") return day;
  // A time of day alone is stored as a fraction of Excel's day 0 (1899-12-30 or 31).
  if (date.getUTCFullYear() < 1900) return time.endsWith(":00") ? time.slice(0, 5) : time;
  return `${day} ${time.endsWith(":00") ? time.slice(0, 5) : time}`;
}
