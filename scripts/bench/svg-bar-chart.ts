/** A horizontal bar chart as a standalone SVG document, no plotting dependency. */
export interface BarChartBar {
  label: string;
  value: number;
  /** Drawn grey: the reference Folio is measured against. */
  reference?: boolean;
}

const width = 720;
const labelWidth = 260;
const valueWidth = 110;
const barHeight = 26;
const barGap = 10;
const top = 44;
const folioColour = "#2f6fb0";
const referenceColour = "#9aa5b1";

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** Three significant digits, no exponent: 1234 → "1,234", 0.01234 → "0.0123". */
export function formatFigure(value: number): string {
  if (!Number.isFinite(value)) return "—";
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString("en-US");
  return Number(value.toPrecision(3)).toString();
}

export function renderBarChart(title: string, unit: string, bars: readonly BarChartBar[]): string {
  const height = top + bars.length * (barHeight + barGap) + 16;
  const largest = Math.max(...bars.map((bar) => bar.value), 0);
  const plotWidth = width - labelWidth - valueWidth;
  const scale = largest > 0 ? plotWidth / largest : 0;
  const rows = bars.map((bar, index) => {
    const y = top + index * (barHeight + barGap);
    const barWidth = Math.max(bar.value * scale, bar.value > 0 ? 1 : 0);
    const middle = y + barHeight / 2 + 5;
    return [
      `  <text x="${labelWidth - 10}" y="${middle}" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `  <rect x="${labelWidth}" y="${y}" width="${barWidth.toFixed(1)}" height="${barHeight}" fill="${bar.reference ? referenceColour : folioColour}"/>`,
      `  <text x="${(labelWidth + barWidth + 8).toFixed(1)}" y="${middle}">${escapeXml(formatFigure(bar.value))}</text>`,
    ].join("\n");
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" font-family="Helvetica, Arial, sans-serif" font-size="14">`,
    `  <title>${escapeXml(`${title} (${unit})`)}</title>`,
    `  <rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `  <text x="12" y="26" font-size="16" font-weight="bold">${escapeXml(title)} (${escapeXml(unit)})</text>`,
    ...rows,
    `  <line x1="${labelWidth}" y1="${top - 4}" x2="${labelWidth}" y2="${height - 12}" stroke="#333333"/>`,
    "</svg>",
    "",
  ].join("\n");
}
