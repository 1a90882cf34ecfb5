/**
 * A rectangle on a page in PDF points (1/72 inch), origin at the page's top-left corner, y down —
 * the orientation a page preview is drawn in. `[x0, y0, x1, y1]` with x0 ≤ x1 and y0 ≤ y1.
 */
export type BoundingBox = readonly [x0: number, y0: number, x1: number, y1: number];

export function unionBoxes(boxes: readonly BoundingBox[]): BoundingBox | null {
  if (boxes.length === 0) return null;
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const box of boxes) {
    x0 = Math.min(x0, box[0]);
    y0 = Math.min(y0, box[1]);
    x1 = Math.max(x1, box[2]);
    y1 = Math.max(y1, box[3]);
  }
  return [x0, y0, x1, y1];
}
