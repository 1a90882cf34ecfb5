"use client";

import { useId } from "react";
import { formatModels, formatRecall, type GoldenRunRow, triggerLabels } from "./golden-data";
import { formatDate } from "./labels";

const width = 640;
const height = 220;
const plot = { left: 44, right: 20, top: 14, bottom: 34 };
const gridSteps = [0, 0.25, 0.5, 0.75, 1];

function shortDate(value: string): string {
  return new Intl.DateTimeFormat(undefined, {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(value));
}

function pointLabel(run: GoldenRunRow): string {
  const when = run.finishedAt ? formatDate(run.finishedAt) : "";
  const alert = run.isAlert ? " — recall dropped" : "";
  return `${when}: recall@${run.k} ${formatRecall(run.recallAtK)} (${run.hitCount} of ${run.questionCount}), ${triggerLabels[run.trigger]}${alert}`;
}

/**
 * recall@k of the completed runs, oldest to newest, as an inline SVG line (recall at the deeper
 * cut dashed), runs that raised the alert drawn as diamonds (not by colour alone). The same
 * figures are in the table below it, for screen readers and for reading exact values.
 */
export function RecallTrendChart({
  runs,
  k,
  depth,
}: {
  runs: readonly GoldenRunRow[];
  k: number;
  depth: number;
}) {
  const titleId = useId();
  const descriptionId = useId();
  const completed = runs.filter((run) => run.state === "done" && run.recallAtK !== null).reverse();
  const finished = runs.filter((run) => run.state === "done" || run.state === "failed");
  if (completed.length === 0) {
    return (
      <p className="muted" data-testid="trend-empty">
        No completed runs yet: the trend starts with the first one.
      </p>
    );
  }
  const plotWidth = width - plot.left - plot.right;
  const plotHeight = height - plot.top - plot.bottom;
  const xOf = (index: number) =>
    completed.length === 1
      ? plot.left + plotWidth / 2
      : plot.left + (index * plotWidth) / (completed.length - 1);
  const yOf = (recall: number) => plot.top + (1 - recall) * plotHeight;
  const line = (pick: (run: GoldenRunRow) => number | null) =>
    completed.map((run, index) => `${xOf(index).toFixed(1)},${yOf(pick(run) ?? 0).toFixed(1)}`).join(" ");
  const first = completed[0];
  const last = completed.at(-1);
  const description =
    completed.length === 1
      ? `One run: recall@${k} ${formatRecall(first?.recallAtK)}.`
      : `${completed.length} runs, recall@${k} from ${formatRecall(first?.recallAtK)} to ${formatRecall(last?.recallAtK)}; ` +
        `${completed.filter((run) => run.isAlert).length} raised the alert.`;
  return (
    <div className="trend" data-testid="trend">
      <svg
        className="trend-chart"
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-labelledby={`${titleId} ${descriptionId}`}
        data-testid="trend-chart"
      >
        <title id={titleId}>recall@{k} over time</title>
        <desc id={descriptionId}>{description}</desc>
        {gridSteps.map((step) => (
          <g key={step}>
            <line
              className="trend-grid"
              x1={plot.left}
              x2={width - plot.right}
              y1={yOf(step)}
              y2={yOf(step)}
            />
            <text className="trend-axis" x={plot.left - 8} y={yOf(step) + 4} textAnchor="end">
              {Math.round(step * 100)}%
            </text>
          </g>
        ))}
        {completed.length > 1 && (
          <>
            <polyline className="trend-line-depth" points={line((run) => run.recallAtDepth)} />
            <polyline className="trend-line" points={line((run) => run.recallAtK)} />
          </>
        )}
        {completed.map((run, index) => {
          const x = xOf(index);
          const y = yOf(run.recallAtK ?? 0);
          return (
            <g key={run.id} data-testid="trend-point" data-alert={run.isAlert ? "true" : "false"}>
              <title>{pointLabel(run)}</title>
              {run.isAlert ? (
                <polygon
                  className="trend-alert"
                  points={`${x},${y - 8} ${x + 8},${y} ${x},${y + 8} ${x - 8},${y}`}
                />
              ) : (
                <circle className="trend-point" cx={x} cy={y} r={4.5} />
              )}
            </g>
          );
        })}
        {first?.finishedAt && (
          <text
            className="trend-axis"
            x={xOf(0)}
            y={height - 10}
            textAnchor={completed.length === 1 ? "middle" : "start"}
          >
            {shortDate(first.finishedAt)}
          </text>
        )}
        {completed.length > 1 && last?.finishedAt && (
          <text className="trend-axis" x={xOf(completed.length - 1)} y={height - 10} textAnchor="end">
            {shortDate(last.finishedAt)}
          </text>
        )}
      </svg>
      <p className="trend-legend small" aria-hidden="true">
        <span className="legend-line" /> recall@{k} <span className="legend-line legend-dashed" /> recall@
        {depth} <span className="legend-diamond" /> recall dropped
      </p>
      <details className="trend-table">
        <summary>The runs as a table</summary>
        <table className="data-table" data-testid="runs-table">
          <caption className="sr-only">Golden-question runs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Finished</th>
              <th scope="col">Why</th>
              <th scope="col" className="numeric">
                recall@{k}
              </th>
              <th scope="col" className="numeric">
                recall@{depth}
              </th>
              <th scope="col">Models</th>
              <th scope="col">Result</th>
            </tr>
          </thead>
          <tbody>
            {finished.map((run) => (
              <tr key={run.id} data-testid="run-row">
                <td className="nowrap">{run.finishedAt ? formatDate(run.finishedAt) : "—"}</td>
                <td>{triggerLabels[run.trigger]}</td>
                <td className="numeric">
                  {formatRecall(run.recallAtK)}
                  {run.hitCount !== null && (
                    <span className="muted small">
                      {" "}
                      ({run.hitCount}/{run.questionCount})
                    </span>
                  )}
                </td>
                <td className="numeric">{formatRecall(run.recallAtDepth)}</td>
                <td className="small">{formatModels(run.modelIds)}</td>
                <td>
                  {run.state === "failed" ? (
                    <span className="state state-failed">Failed: {run.errorMessage}</span>
                  ) : run.isAlert ? (
                    <span className="state state-failed">Recall dropped</span>
                  ) : (
                    <span className="state state-succeeded">Done</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
