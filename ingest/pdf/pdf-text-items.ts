import type { BoundingBox } from "../../lib/domain/geometry";
import type { TextItem } from "../types";

/** Text item as pdf.js returns it (`TextItem` in pdfjs-dist's api.d.ts). */
export interface PdfjsTextItem {
  str: string;
  transform: number[];
  width: number;
  height: number;
  fontName: string;
  hasEOL: boolean;
}

export interface PdfjsTextStyle {
  ascent?: number;
  descent?: number;
  vertical?: boolean;
}

/**
 * pdf.js items → TextItems in top-left page points. Whitespace-only runs are dropped (the word
 * spacing is recovered from the gaps between boxes), but their end-of-line mark moves to the
 * run before them.
 */
export function convertTextItems(
  items: readonly PdfjsTextItem[],
  styles: Record<string, PdfjsTextStyle>,
  viewportTransform: readonly number[],
): TextItem[] {
  const converted: TextItem[] = [];
  for (const item of items) {
    if (typeof item.str !== "string") continue; // marked-content entries
    const text = item.str.replace(/\p{Cc}/gu, "");
    if (text.trim() === "") {
      const previous = converted.at(-1);
      if (item.hasEOL && previous) previous.hasEndOfLine = true;
      continue;
    }
    const box = toPageBox(item, styles[item.fontName], viewportTransform);
    if (!box) continue;
    const [, , c = 0, d = 0] = item.transform;
    converted.push({
      text,
      box,
      fontName: item.fontName.slice(0, 256),
      fontSize: round(Math.hypot(c, d)),
      hasEndOfLine: item.hasEOL === true,
    });
  }
  return converted;
}

/**
 * The run's rectangle in PDF user space (from its text matrix, advance and the font's ascent and
 * descent), mapped through the viewport transform (rotation, y flip, crop box offset) and
 * bounded by an axis-aligned box.
 */
function toPageBox(
  item: Pick<PdfjsTextItem, "transform" | "width" | "height">,
  style: PdfjsTextStyle | undefined,
  viewportTransform: readonly number[],
): BoundingBox | null {
  const [a = 1, b = 0, c = 0, d = 1, e = 0, f = 0] = item.transform;
  if (![a, b, c, d, e, f, item.width, item.height].every(Number.isFinite)) return null;
  const scaleX = Math.hypot(a, b);
  const scaleY = Math.hypot(c, d);
  // Unit vectors along the text direction and the glyphs' "up".
  const [directionX, directionY] = scaleX > 0 ? [a / scaleX, b / scaleX] : [1, 0];
  const [upX, upY] = scaleY > 0 ? [c / scaleY, d / scaleY] : [0, 1];

  let corners: [number, number][];
  if (style?.vertical) {
    // Vertical writing: pdf.js puts the origin one em below the top of the first glyph; the
    // column is one glyph wide and runs down by the advance (checked against poppler's boxes).
    const length = item.height;
    const glyphWidth = scaleX;
    corners = [
      [0, scaleY],
      [glyphWidth, scaleY],
      [0, scaleY - length],
      [glyphWidth, scaleY - length],
    ];
  } else {
    const ascent = clamp(style?.ascent, 0.5, 1.2, 0.8) * scaleY;
    const descent = clamp(style?.descent, -0.5, 0, -0.2) * scaleY;
    corners = [
      [0, descent],
      [item.width, descent],
      [0, ascent],
      [item.width, ascent],
    ];
  }
  const points = corners.map(([along, across]) =>
    applyTransform(
      viewportTransform,
      e + along * directionX + across * upX,
      f + along * directionY + across * upY,
    ),
  );
  return boundingBoxOf(points);
}

/** `[a b c d e f]` applied to a point, as PDF matrices are. */
export function applyTransform(matrix: readonly number[], x: number, y: number): [number, number] {
  const [a = 1, b = 0, c = 0, d = 1, e = 0, f = 0] = matrix;
  return [a * x + c * y + e, b * x + d * y + f];
}

/** The axis-aligned box of some points, rounded to 0.01 pt; null when any is not finite. */
export function boundingBoxOf(points: readonly (readonly [number, number])[]): BoundingBox | null {
  const xs = points.map((point) => point[0]);
  const ys = points.map((point) => point[1]);
  const box: BoundingBox = [
    round(Math.min(...xs)),
    round(Math.min(...ys)),
    round(Math.max(...xs)),
    round(Math.max(...ys)),
  ];
  return box.every(Number.isFinite) ? box : null;
}

function clamp(value: number | undefined, min: number, max: number, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) && value >= min && value <= max
    ? value
    : fallback;
}

export function round(value: number): number {
  return Math.round(value * 100) / 100;
}
