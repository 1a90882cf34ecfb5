import type { BoundingBox } from "../../lib/domain/geometry";
import { applyTransform, boundingBoxOf } from "./pdf-text-items";

/** A horizontal or vertical line on the page (a table rule), in top-left page points. */
export interface Segment {
  orientation: "horizontal" | "vertical";
  /** y of a horizontal line, x of a vertical one. */
  position: number;
  start: number;
  end: number;
}

export interface PageGraphics {
  /** Where raster images are drawn, in top-left page points (clipped to the page). */
  images: BoundingBox[];
  rulings: Segment[];
}

/** The subset of pdf.js's `OPS` this scanner reads (values from pdfjs-dist 5.6). */
export interface OperatorCodes {
  save: number;
  restore: number;
  transform: number;
  constructPath: number;
  stroke: number;
  closeStroke: number;
  fill: number;
  eoFill: number;
  fillStroke: number;
  eoFillStroke: number;
  paintFormXObjectBegin: number;
  paintFormXObjectEnd: number;
  paintImageXObject: number;
  paintInlineImageXObject: number;
  paintImageMaskXObject: number;
  paintImageXObjectRepeat: number;
}

/** A ruling is at most this thick (points) and at least this long. */
const rulingMaxThickness = 2.5;
const rulingMinLength = 8;
/** Scanning stops after this many operators: enough for any real page, bounded for hostile ones. */
const maxOperators = 400_000;

/**
 * Replays the graphics state of a page's operator list (save/restore/transform and form
 * XObjects) to find where images are painted and which paths are table rules. `viewport` maps
 * PDF user space to top-left page points.
 */
export function scanPageGraphics(
  operatorList: { fnArray: readonly number[]; argsArray: readonly unknown[] },
  ops: OperatorCodes,
  viewport: { transform: readonly number[]; width: number; height: number },
): PageGraphics {
  const images: BoundingBox[] = [];
  const rulings: Segment[] = [];
  const stack: number[][] = [];
  let ctm: number[] = [...viewport.transform];
  const count = Math.min(operatorList.fnArray.length, maxOperators);
  const paintOps = new Set([
    ops.stroke,
    ops.closeStroke,
    ops.fill,
    ops.eoFill,
    ops.fillStroke,
    ops.eoFillStroke,
  ]);
  const imageOps = new Set([
    ops.paintImageXObject,
    ops.paintInlineImageXObject,
    ops.paintImageMaskXObject,
    ops.paintImageXObjectRepeat,
  ]);

  for (let index = 0; index < count; index++) {
    const fn = operatorList.fnArray[index];
    const args = operatorList.argsArray[index] as unknown[] | null;
    if (fn === ops.save) stack.push(ctm);
    else if (fn === ops.restore) ctm = stack.pop() ?? ctm;
    else if (fn === ops.transform && isMatrix(args)) ctm = multiply(ctm, args);
    else if (fn === ops.paintFormXObjectBegin) {
      stack.push(ctm);
      const matrix = args?.[0];
      if (isMatrix(matrix)) ctm = multiply(ctm, matrix);
    } else if (fn === ops.paintFormXObjectEnd) ctm = stack.pop() ?? ctm;
    else if (fn !== undefined && imageOps.has(fn)) {
      // Images are painted into the unit square of the current matrix.
      const box = boundingBoxOf([
        applyTransform(ctm, 0, 0),
        applyTransform(ctm, 1, 0),
        applyTransform(ctm, 0, 1),
        applyTransform(ctm, 1, 1),
      ]);
      const clipped = box && clipToPage(box, viewport);
      if (clipped) images.push(clipped);
    } else if (fn === ops.constructPath && Array.isArray(args)) {
      const [paintOp, , minMax] = args as [unknown, unknown, unknown];
      if (typeof paintOp !== "number" || !paintOps.has(paintOp) || !isMinMax(minMax)) continue;
      const box = boundingBoxOf([
        applyTransform(ctm, minMax[0], minMax[1]),
        applyTransform(ctm, minMax[2], minMax[1]),
        applyTransform(ctm, minMax[0], minMax[3]),
        applyTransform(ctm, minMax[2], minMax[3]),
      ]);
      if (box) rulings.push(...rulingsOf(box, paintOp === ops.fill || paintOp === ops.eoFill));
    }
  }
  return { images, rulings };
}

/**
 * A thin box is one rule; a stroked rectangle (a cell border) gives its four edges. A large
 * filled area is shading, not a rule.
 */
function rulingsOf(box: BoundingBox, isFillOnly: boolean): Segment[] {
  const [x0, y0, x1, y1] = box;
  const width = x1 - x0;
  const height = y1 - y0;
  if (height <= rulingMaxThickness && width >= rulingMinLength) {
    return [{ orientation: "horizontal", position: (y0 + y1) / 2, start: x0, end: x1 }];
  }
  if (width <= rulingMaxThickness && height >= rulingMinLength) {
    return [{ orientation: "vertical", position: (x0 + x1) / 2, start: y0, end: y1 }];
  }
  if (isFillOnly || width < rulingMinLength || height < rulingMinLength) return [];
  return [
    { orientation: "horizontal", position: y0, start: x0, end: x1 },
    { orientation: "horizontal", position: y1, start: x0, end: x1 },
    { orientation: "vertical", position: x0, start: y0, end: y1 },
    { orientation: "vertical", position: x1, start: y0, end: y1 },
  ];
}

function clipToPage(box: BoundingBox, page: { width: number; height: number }): BoundingBox | null {
  const clipped: BoundingBox = [
    Math.max(0, box[0]),
    Math.max(0, box[1]),
    Math.min(page.width, box[2]),
    Math.min(page.height, box[3]),
  ];
  return clipped[2] > clipped[0] && clipped[3] > clipped[1] ? clipped : null;
}

function isMatrix(value: unknown): value is number[] {
  return (
    (Array.isArray(value) || ArrayBuffer.isView(value)) &&
    (value as ArrayLike<number>).length === 6 &&
    Array.from(value as ArrayLike<number>).every(Number.isFinite)
  );
}

function isMinMax(value: unknown): value is [number, number, number, number] {
  return (
    (Array.isArray(value) || ArrayBuffer.isView(value)) &&
    (value as ArrayLike<number>).length === 4 &&
    Array.from(value as ArrayLike<number>).every(Number.isFinite)
  );
}

/** `inner` applied first, then `outer` (PDF's `cm`: new CTM = inner × outer). */
function multiply(outer: readonly number[], inner: ArrayLike<number>): number[] {
  const [a1 = 1, b1 = 0, c1 = 0, d1 = 1, e1 = 0, f1 = 0] = Array.from(inner);
  const [a2 = 1, b2 = 0, c2 = 0, d2 = 1, e2 = 0, f2 = 0] = outer;
  return [
    a1 * a2 + b1 * c2,
    a1 * b2 + b1 * d2,
    c1 * a2 + d1 * c2,
    c1 * b2 + d1 * d2,
    e1 * a2 + f1 * c2 + e2,
    e1 * b2 + f1 * d2 + f2,
  ];
}
