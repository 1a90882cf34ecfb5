"use client";

import { useEffect, useRef } from "react";
import type { AnswerListItemView } from "./audit-data";
import { CommentIcon, ThumbIcon } from "./feedback-icons";
import { formatDate } from "./labels";

function ClaimCounts({ claims }: { claims: AnswerListItemView["claims"] }) {
  const total = claims.supported + claims.weak + claims.unsupported;
  if (total === 0) return <span className="muted small">not checked</span>;
  const label = `${claims.supported} supported, ${claims.weak} weak, ${claims.unsupported} unsupported`;
  return (
    <span className="claim-counts" title={label}>
      <span className="sr-only">{label}</span>
      <span aria-hidden="true">
        <span className="count-supported">✓ {claims.supported}</span>
        <span className="count-weak">~ {claims.weak}</span>
        <span className="count-unsupported">✗ {claims.unsupported}</span>
      </span>
    </span>
  );
}

function FeedbackCounts({ feedback }: { feedback: AnswerListItemView["feedback"] }) {
  if (feedback.up + feedback.down === 0) return <span className="muted small">none</span>;
  const label = `${feedback.up} helpful, ${feedback.down} not helpful, ${feedback.comments} with a comment`;
  return (
    <span className="feedback-counts" title={label}>
      <span className="sr-only">{label}</span>
      <span aria-hidden="true" className="icon-counts">
        <span>
          <ThumbIcon direction="up" /> {feedback.up}
        </span>
        <span>
          <ThumbIcon direction="down" /> {feedback.down}
        </span>
        {feedback.comments > 0 && (
          <span>
            <CommentIcon /> {feedback.comments}
          </span>
        )}
      </span>
    </span>
  );
}

/**
 * The matching answers, one row each: a checkbox to select it for export, when, who, the question
 * (a link to the answer), its status, how its claims fared and the feedback it got.
 */
export function AuditResultsTable({
  items,
  selected,
  onSelectedChange,
}: {
  items: readonly AnswerListItemView[];
  selected: ReadonlySet<string>;
  onSelectedChange: (next: Set<string>) => void;
}) {
  const allRef = useRef<HTMLInputElement>(null);
  const selectedHere = items.filter((item) => selected.has(item.answerId)).length;
  const isAllSelected = items.length > 0 && selectedHere === items.length;

  useEffect(() => {
    if (allRef.current) allRef.current.indeterminate = selectedHere > 0 && !isAllSelected;
  }, [selectedHere, isAllSelected]);

  if (items.length === 0) return null;
  const toggle = (answerId: string) => {
    const next = new Set(selected);
    if (next.has(answerId)) next.delete(answerId);
    else next.add(answerId);
    onSelectedChange(next);
  };
  return (
    <table className="data-table audit-results" data-testid="audit-results">
      <caption className="sr-only">Answers matching the search, newest first</caption>
      <thead>
        <tr>
          <th scope="col" className="narrow">
            <input
              ref={allRef}
              type="checkbox"
              aria-label="Select every answer listed"
              checked={isAllSelected}
              onChange={() =>
                onSelectedChange(isAllSelected ? new Set() : new Set(items.map((item) => item.answerId)))
              }
            />
          </th>
          <th scope="col">Asked</th>
          <th scope="col">Person</th>
          <th scope="col">Question</th>
          <th scope="col">Status</th>
          <th scope="col">Claims</th>
          <th scope="col">Feedback</th>
        </tr>
      </thead>
      <tbody>
        {items.map((item) => (
          <tr key={item.answerId} data-testid="audit-row" data-answer-id={item.answerId}>
            <td>
              <input
                type="checkbox"
                data-testid="audit-select"
                aria-label={`Select the answer to “${item.question}”`}
                checked={selected.has(item.answerId)}
                onChange={() => toggle(item.answerId)}
              />
            </td>
            <td className="nowrap">{formatDate(item.createdAt)}</td>
            <td className="audit-person">
              {item.askerEmail ?? <span className="muted">deleted account</span>}
            </td>
            <td className="title">
              <a href={`/audit/answers/${item.answerId}`} data-testid="audit-open">
                {item.question || <span className="muted">(question erased)</span>}
              </a>
            </td>
            <td>
              <span className={`tag status-${item.status}`}>
                {item.status === "complete"
                  ? "Complete"
                  : `Error${item.errorCode ? `: ${item.errorCode}` : ""}`}
              </span>
            </td>
            <td className="nowrap">
              <ClaimCounts claims={item.claims} />
            </td>
            <td className="nowrap">
              <FeedbackCounts feedback={item.feedback} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
