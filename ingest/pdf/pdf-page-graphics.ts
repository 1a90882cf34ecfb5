import type { BoundingBox } from "../../lib/domain/geometry";
import { applyTransform, boundingBoxOf } from "./pdf-text-items";

/** The subset of pdf.js's `OPS` this scanner reads. */
export interface ImageOperatorCodes {
  save: number;
  restore: number;
  transform: number;
  paintFormXObjectBegin: number;
  paintFormXObjectEnd: number;
  paintImageXObject: number;
  paintInlineImageXObject: number;
  paintImageMaskXObject: number;
  paintImageXObjectRepeat: number;
}

/** Scanning stops after this many operators: enough for any real page, bounded for hostile ones. */
const maxOperators = 400_000;

/**
 * Where a page paints raster images, in top-left page points clipped to the page: replays the
 * graphics state of its operator list (save/restore/transform and form XObjects). `viewport`
 * maps PDF user space to top-left page points.
 */
export function imagePlacements(
  operatorList: { fnArray: ArrayLike<number>; argsArray: ArrayLike<unknown> },
  ops: ImageOperatorCodes,
  viewport: { transform: readonly number[]; width: number; height: number },
): BoundingBox[] {
  const images: BoundingBox[] = [];
  const stack: number[][] = [];
  let ctm: number[] = [...viewport.transform];
  const count = Math.min(operatorList.fnArray.length, maxOperators);
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
    }
  }
  return images;
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
