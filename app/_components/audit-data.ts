import type { AnswerAudit, AuditedSource, HashCheck, LedgerCheck } from "../../lib/answers/audit-answer";
import type { AnswerListItem, AnswerListPage } from "../../lib/answers/search-answers";
import type { LedgerStatus } from "../../lib/audit/ledger-status";
import { problemOf } from "./api-client";

/** A value as it arrives over JSON: dates become ISO strings. */
export type Wire<T> = T extends Date
  ? string
  : T extends readonly (infer Item)[]
    ? T extends readonly [unknown, ...unknown[]]
      ? T
      : Wire<Item>[]
    : T extends object
      ? { [Key in keyof T]: Wire<T[Key]> }
      : T;

export type AnswerAuditView = Wire<AnswerAudit>;
export type AuditedSourceView = Wire<AuditedSource>;
export type AnswerListItemView = Wire<AnswerListItem>;
export type AnswerListPageView = Wire<AnswerListPage>;
export type LedgerStatusView = Wire<LedgerStatus>;
export type { HashCheck, LedgerCheck };

/** The search form's fields, as they sit in the page's URL (dates as the form's YYYY-MM-DD). */
export interface AuditSearchFields {
  user: string;
  from: string;
  to: string;
  collection: string;
  document: string;
  q: string;
}

export const searchFieldNames = ["user", "from", "to", "collection", "document", "q"] as const;

export const emptySearchFields: AuditSearchFields = {
  user: "",
  from: "",
  to: "",
  collection: "",
  document: "",
  q: "",
};

/** The start of a day picked in the form, in the reader's time zone, as the API's ISO date-time. */
function startOfLocalDay(date: string, dayOffset = 0): string | undefined {
  const day = new Date(`${date}T00:00:00`);
  if (Number.isNaN(day.getTime())) return undefined;
  day.setDate(day.getDate() + dayOffset);
  return day.toISOString();
}

/** The fields as API parameters: empty ones left out; `to` includes the whole day picked. */
export function searchParametersOf(fields: AuditSearchFields): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const name of ["user", "collection", "document", "q"] as const) {
    const value = fields[name].trim();
    if (value) parameters[name] = value;
  }
  const from = fields.from ? startOfLocalDay(fields.from) : undefined;
  const to = fields.to ? startOfLocalDay(fields.to, 1) : undefined;
  if (from) parameters.from = from;
  if (to) parameters.to = to;
  return parameters;
}

/** Asks the server for a JSONL export and hands it to the browser as a download. */
export async function downloadExport(body: Record<string, unknown>): Promise<string> {
  const response = await fetch("/api/audit/export", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await problemOf(response);
  const blob = await response.blob();
  const disposition = response.headers.get("content-disposition") ?? "";
  const fileName = /filename="([^"]+)"/.exec(disposition)?.[1] ?? "folio-ledger-export.jsonl";
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return fileName;
}
