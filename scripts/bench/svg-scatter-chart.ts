import { escapeXml, formatFigure } from "./svg-bar-chart";

/**
 * A scatter chart with each series' points joined in order of x, as a standalone SVG document
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
  for (let tick = Math.ceil(low / step) * step; tick <= high + step * 1e-9; tick += step) {
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

export function renderScatterChart(chart: ScatterChart): string {
  const points = chart.series.flatMap((series) => series.points);
  const [xLow, xHigh] = extent(
    points.map((point) => point.x),
    true,
  );
  const [yLow, yHigh] = extent(
    points.map((point) => point.y),
    false,
  );
  const plotWidth = width - plot.left - plot.right;
  const plotHeight = height - plot.top - plot.bottom;
  const toX = (x: number) => plot.left + ((x - xLow) / (xHigh - xLow)) * plotWidth;
  const toY = (y: number) => plot.top + plotHeight - ((y - yLow) / (yHigh - yLow)) * plotHeight;
  const bottom = plot.top + plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
    `  <title>${escapeXml(chart.title)}</title>`,
    `  <rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `  <text x="12" y="26" font-size="16" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];
  for (const tick of niceTicks(xLow, xHigh)) {
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
  parts.push(
    `  <line x1="${plot.left}" y1="${bottom}" x2="${plot.left + plotWidth}" y2="${bottom}" stroke="#333333"/>`,
    `  <line x1="${plot.left}" y1="${plot.top}" x2="${plot.left}" y2="${bottom}" stroke="#333333"/>`,
    `  <text x="${plot.left + plotWidth / 2}" y="${height - 14}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`,
    `  <text x="16" y="${plot.top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 16 ${plot.top + plotHeight / 2})">${escapeXml(chart.yLabel)}</text>`,
  );
  let colourIndex = 0;
  for (const [seriesIndex, series] of chart.series.entries()) {
    const colour = series.reference ? referenceColour : (palette[colourIndex++ % palette.length] as string);
    const ordered = [...series.points].filter(
      (point) => Number.isFinite(point.x) && Number.isFinite(point.y),
    );
    ordered.sort((left, right) => left.x - right.x);
    if (ordered.length > 1) {
      const path = ordered.map((point) => `${toX(point.x).toFixed(1)},${toY(point.y).toFixed(1)}`).join(" ");
      parts.push(`  <polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    }
    for (const point of ordered) {
      const x = toX(point.x).toFixed(1);
      const y = toY(point.y).toFixed(1);
      parts.push(`  <circle cx="${x}" cy="${y}" r="4.5" fill="${colour}"/>`);
      if (point.label) {
        parts.push(
          `  <text x="${(Number(x) + 7).toFixed(1)}" y="${(Number(y) - 7).toFixed(1)}" font-size="11" fill="#333333">${escapeXml(point.label)}</text>`,
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
