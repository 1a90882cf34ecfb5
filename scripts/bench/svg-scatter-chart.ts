import { escapeXml, formatFigure } from "./svg-bar-chart";

/**
 * A scatter chart with each series' points joined in the order given, as a standalone SVG document
 * (no plotting dependency): e.g. recall against latency, one series per index type, one point
 * per search setting, each labelled.
 */
export interface ScatterPoint {
  x: number;
  y: number;
  /** Written beside the point. */
  label?: string;
}

export interface ScatterSeries {
  label: string;
  points: ScatterPoint[];
  /** Drawn grey: the reference the others are measured against. */
  reference?: boolean;
}

export interface ScatterChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ScatterSeries[];
}

const width = 720;
const height = 440;
const plot = { left: 70, right: 180, top: 44, bottom: 56 };
const palette = ["#2f6fb0", "#d9822b", "#2e9e5b", "#b03a6f", "#6b4fb0"];
const referenceColour = "#9aa5b1";

/** A round step (1, 2 or 5 × 10^n) that cuts [low, high] into about five. */
function tickStep(low: number, high: number): number {
  const rough = (high - low) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  return ([1, 2, 5, 10].find((multiple) => multiple * magnitude >= rough) ?? 10) * magnitude;
}

/** The round tick values within [low, high]. */
export function niceTicks(low: number, high: number): number[] {
  if (!(high > low)) return [low];
  const step = tickStep(low, high);
  const ticks: number[] = [];
  for (let tick = Math.ceil(low / step - 1e-9) * step; tick <= high + step * 1e-9; tick += step) {
    ticks.push(Number(tick.toPrecision(12)));
  }
  return ticks;
}

/** The values' range widened to round ticks (from 0 when `includeZero`). */
function extent(values: number[], includeZero: boolean): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  const low = includeZero ? Math.min(0, ...finite) : Math.min(...finite);
  let high = Math.max(...finite);
  if (high === low) high = low + (Math.abs(low) * 0.1 || 1);
  const step = tickStep(low, high);
  return [Math.floor(low / step) * step, Math.ceil(high / step) * step];
}

/** Ticks at 1, 2 and 5 × 10^n within [low, high] (both > 0). */
export function logTicks(low: number, high: number): number[] {
  const ticks: number[] = [];
  for (let exponent = Math.floor(Math.log10(low)); 10 ** exponent <= high; exponent += 1) {
    for (const multiple of [1, 2, 5]) {
      const tick = Number((multiple * 10 ** exponent).toPrecision(12));
      if (tick >= low && tick <= high) ticks.push(tick);
    }
  }
  return ticks;
}

/** [low, high] widened to the 1-2-5 ticks around it. */
function logExtent(values: number[]): [number, number] {
  const below = (value: number) => {
    const magnitude = 10 ** Math.floor(Math.log10(value));
    return ([5, 2, 1].find((multiple) => multiple * magnitude <= value) ?? 1) * magnitude;
  };
  const above = (value: number) => {
    const magnitude = 10 ** Math.floor(Math.log10(value));
    return ([1, 2, 5, 10].find((multiple) => multiple * magnitude >= value) ?? 10) * magnitude;
  };
  return [below(Math.min(...values)), above(Math.max(...values))];
}

/** Labels are kept this far apart (pixels), moved down a line at a time when they would overlap. */
const labelLine = 13;
const characterWidth = 6;

/**
 * Points are joined in the order given (e.g. increasing search effort). The x axis is logarithmic
 * when the values span more than `logRatio` (a flat scan beside ANN searches), else linear from 0.
 */
export function renderScatterChart(chart: ScatterChart, logRatio = 4): string {
  const points = chart.series
    .flatMap((series) => series.points)
    .filter((point) => Number.isFinite(point.x) && Number.isFinite(point.y));
  const xs = points.map((point) => point.x);
  const isLog = xs.length > 0 && Math.min(...xs) > 0 && Math.max(...xs) / Math.min(...xs) > logRatio;
  const [xLow, xHigh] = isLog ? logExtent(xs) : extent(xs, true);
  const [yLow, yHigh] = extent(
    points.map((point) => point.y),
    false,
  );
  const plotWidth = width - plot.left - plot.right;
  const plotHeight = height - plot.top - plot.bottom;
  const toX = isLog
    ? (x: number) => plot.left + (Math.log10(x / xLow) / Math.log10(xHigh / xLow)) * plotWidth
    : (x: number) => plot.left + ((x - xLow) / (xHigh - xLow)) * plotWidth;
  const toY = (y: number) => plot.top + plotHeight - ((y - yLow) / (yHigh - yLow)) * plotHeight;
  const bottom = plot.top + plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
    `  <title>${escapeXml(chart.title)}</title>`,
    `  <rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `  <text x="12" y="26" font-size="16" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];
  for (const tick of isLog ? logTicks(xLow, xHigh) : niceTicks(xLow, xHigh)) {
    const x = toX(tick).toFixed(1);
    parts.push(
      `  <line x1="${x}" y1="${plot.top}" x2="${x}" y2="${bottom}" stroke="#e3e7eb"/>`,
      `  <text x="${x}" y="${bottom + 18}" text-anchor="middle">${escapeXml(formatFigure(tick))}</text>`,
    );
  }
  for (const tick of niceTicks(yLow, yHigh)) {
    const y = toY(tick).toFixed(1);
    parts.push(
      `  <line x1="${plot.left}" y1="${y}" x2="${plot.left + plotWidth}" y2="${y}" stroke="#e3e7eb"/>`,
      `  <text x="${plot.left - 8}" y="${(Number(y) + 4).toFixed(1)}" text-anchor="end">${escapeXml(formatFigure(tick))}</text>`,
    );
  }
  const xLabel = isLog ? `${chart.xLabel}, logarithmic` : chart.xLabel;
  parts.push(
    `  <line x1="${plot.left}" y1="${bottom}" x2="${plot.left + plotWidth}" y2="${bottom}" stroke="#333333"/>`,
    `  <line x1="${plot.left}" y1="${plot.top}" x2="${plot.left}" y2="${bottom}" stroke="#333333"/>`,
    `  <text x="${plot.left + plotWidth / 2}" y="${height - 14}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `  <text x="16" y="${plot.top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 16 ${plot.top + plotHeight / 2})">${escapeXml(chart.yLabel)}</text>`,
  );
  // Beside its point (right above, right below, left above, left below); else moved down a line at a time.
  const placedLabels: Array<{ left: number; y: number; width: number }> = [];
  const overlaps = (left: number, y: number, labelWidth: number) =>
    placedLabels.some(
      (placed) =>
        Math.abs(placed.y - y) < labelLine &&
        left < placed.left + placed.width &&
        placed.left < left + labelWidth,
    );
  const placeLabel = (x: number, y: number, text: string) => {
    const labelWidth = text.length * characterWidth;
    const candidates = [
      { left: x + 7, y: y - 7, anchor: "start" },
      { left: x + 7, y: y + 15, anchor: "start" },
      { left: x - 7 - labelWidth, y: y - 7, anchor: "end" },
      { left: x - 7 - labelWidth, y: y + 15, anchor: "end" },
    ];
    let chosen = candidates.find((candidate) => !overlaps(candidate.left, candidate.y, labelWidth));
    if (!chosen) {
      chosen = { ...(candidates[0] as (typeof candidates)[number]) };
      while (overlaps(chosen.left, chosen.y, labelWidth)) chosen.y += labelLine;
    }
    placedLabels.push({ left: chosen.left, y: chosen.y, width: labelWidth });
    return {
      x: chosen.anchor === "start" ? chosen.left : chosen.left + labelWidth,
      y: chosen.y,
      anchor: chosen.anchor,
    };
  };
  let colourIndex = 0;
  for (const [seriesIndex, series] of chart.series.entries()) {
    const colour = series.reference ? referenceColour : (palette[colourIndex++ % palette.length] as string);
    const shown = series.points.filter((point) => Number.isFinite(point.x) && Number.isFinite(point.y));
    if (shown.length > 1) {
      const path = shown.map((point) => `${toX(point.x).toFixed(1)},${toY(point.y).toFixed(1)}`).join(" ");
      parts.push(`  <polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    }
    for (const point of shown) {
      const x = toX(point.x);
      const y = toY(point.y);
      parts.push(`  <circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4.5" fill="${colour}"/>`);
      if (point.label) {
        const label = placeLabel(x, y, point.label);
        parts.push(
          `  <text x="${label.x.toFixed(1)}" y="${label.y.toFixed(1)}" font-size="11" fill="#333333" text-anchor="${label.anchor}">${escapeXml(point.label)}</text>`,
        );
      }
    }
    const legendY = plot.top + 10 + seriesIndex * 22;
    const legendX = plot.left + plotWidth + 20;
    parts.push(
      `  <circle cx="${legendX}" cy="${legendY}" r="5" fill="${colour}"/>`,
      `  <text x="${legendX + 12}" y="${legendY + 4}">${escapeXml(series.label)}</text>`,
    );
  }
  parts.push("</svg>", "");
  return parts.join("\n");
}
