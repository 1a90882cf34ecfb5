/**
 * pdf.js text content → Folio's TextItems (top-left page points). Shared by the extraction child
 * and the layout benchmark; pure functions, no pdf.js import.
 */
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
  viewportTransform: number[],
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
export function toPageBox(
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

  const [va = 1, vb = 0, vc = 0, vd = 1, ve = 0, vf = 0] = viewportTransform;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const [along, across] of corners) {
    const userX = e + along * directionX + across * upX;
    const userY = f + along * directionY + across * upY;
    xs.push(va * userX + vc * userY + ve);
    ys.push(vb * userX + vd * userY + vf);
  }
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

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
