"use client";

import { type FormEvent, useCallback, useEffect, useState } from "react";
import { type ApiProblem, asProblem, callApi } from "./api-client";
import {
  type AnswerListItemView,
  type AnswerListPageView,
  type AuditSearchFields,
  downloadExport,
  emptySearchFields,
  searchFieldNames,
  searchParametersOf,
} from "./audit-data";
import { AuditResultsTable } from "./audit-results-table";
import { ProblemNotice } from "./problem-notice";

const fieldLabels: Record<keyof AuditSearchFields, { label: string; hint?: string; type: string }> = {
  user: { label: "Person", hint: "Email or name, or part of it", type: "search" },
  from: { label: "From", type: "date" },
  to: { label: "To", hint: "Includes the whole day", type: "date" },
  collection: { label: "Collection", hint: "Name or id", type: "search" },
  document: { label: "Document", hint: "Title or id", type: "search" },
  q: { label: "Text", hint: "In the question or the answer", type: "search" },
};

/** The search, kept in the page's URL so Back from an answer returns to the same list. */
function rememberInUrl(fields: AuditSearchFields): void {
  const query = new URLSearchParams();
  for (const name of searchFieldNames) if (fields[name].trim()) query.set(name, fields[name].trim());
  const search = query.toString();
  window.history.replaceState(null, "", search ? `?${search}` : window.location.pathname);
}

/**
 * The auditor's answer search: a form, the matching answers newest first (more on request), a
 * checkbox per answer, and exports of the selection or of everything matching.
 */
export function AuditSearchView({ initial }: { initial: Partial<AuditSearchFields> }) {
  const [fields, setFields] = useState<AuditSearchFields>({ ...emptySearchFields, ...initial });
  const [searched, setSearched] = useState<AuditSearchFields>({ ...emptySearchFields, ...initial });
  const [items, setItems] = useState<AnswerListItemView[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [isLoading, setLoading] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [status, setStatus] = useState("");
  const [isExporting, setExporting] = useState(false);

  const load = useCallback(async (search: AuditSearchFields, cursor: string | null) => {
    setLoading(true);
    setProblem(null);
    try {
      const query = new URLSearchParams(searchParametersOf(search));
      if (cursor) query.set("cursor", cursor);
      const page = await callApi<AnswerListPageView>("GET", `/api/audit/answers?${query}`);
      setItems((current) => (cursor ? [...current, ...page.answers] : page.answers));
      setNextCursor(page.nextCursor);
      const count = page.answers.length;
      setStatus(
        cursor
          ? `${count} more answer${count === 1 ? "" : "s"} loaded.`
          : `${count}${page.nextCursor ? "+" : ""} answer${count === 1 ? "" : "s"} found.`,
      );
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setLoading(false);
    }
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the first search runs once, with the fields the page opened with
  useEffect(() => {
    void load(searched, null);
  }, []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSearched(fields);
    setSelected(new Set());
    rememberInUrl(fields);
    void load(fields, null);
  };

  const clear = () => {
    setFields(emptySearchFields);
    setSearched(emptySearchFields);
    setSelected(new Set());
    rememberInUrl(emptySearchFields);
    void load(emptySearchFields, null);
  };

  const exportAnswers = async (body: Record<string, unknown>, what: string) => {
    setExporting(true);
    setProblem(null);
    try {
      const fileName = await downloadExport(body);
      setStatus(`Exported ${what} as ${fileName}.`);
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setExporting(false);
    }
  };

  return (
    <div className="audit-search">
      <form className="panel audit-search-form" onSubmit={submit} aria-label="Search answers">
        <div className="audit-fields">
          {searchFieldNames.map((name) => {
            const { label, hint, type } = fieldLabels[name];
            const id = `audit-${name}`;
            return (
              <div className="field" key={name}>
                <label htmlFor={id}>{label}</label>
                <input
                  id={id}
                  name={name}
                  type={type}
                  data-testid={`audit-field-${name}`}
                  value={fields[name]}
                  onChange={(event) => setFields((current) => ({ ...current, [name]: event.target.value }))}
                  {...(hint ? { "aria-describedby": `${id}-hint` } : {})}
                />
                {hint && (
                  <span className="hint" id={`${id}-hint`}>
                    {hint}
                  </span>
                )}
              </div>
            );
          })}
        </div>
        <div className="inline-controls">
          <button type="submit" data-testid="audit-search" disabled={isLoading}>
            Search
          </button>
          <button type="button" className="secondary" onClick={clear} disabled={isLoading}>
            Clear
          </button>
        </div>
      </form>

      <div className="audit-toolbar">
        <p className="small muted" role="status" aria-live="polite" data-testid="audit-status">
          {isLoading ? "Searching…" : status}
        </p>
        <div className="inline-controls">
          <button
            type="button"
            className="secondary"
            data-testid="export-selection"
            disabled={selected.size === 0 || isExporting}
            onClick={() =>
              void exportAnswers(
                { answerIds: [...selected] },
                `${selected.size} selected answer${selected.size === 1 ? "" : "s"}`,
              )
            }
          >
            Export selection{selected.size > 0 ? ` (${selected.size})` : ""}
          </button>
          <button
            type="button"
            className="secondary"
            data-testid="export-all"
            disabled={items.length === 0 || isExporting}
            onClick={() => void exportAnswers(searchParametersOf(searched), "every matching answer")}
          >
            Export all matching
          </button>
        </div>
      </div>
      {problem && <ProblemNotice problem={problem} />}

      <AuditResultsTable items={items} selected={selected} onSelectedChange={setSelected} />
      {!isLoading && items.length === 0 && !problem && (
        <p className="muted" data-testid="audit-empty">
          No answers match this search.
        </p>
      )}
      {nextCursor && (
        <button
          type="button"
          className="secondary audit-more"
          disabled={isLoading}
          onClick={() => void load(searched, nextCursor)}
        >
          Show more answers
        </button>
      )}
    </div>
  );
}
