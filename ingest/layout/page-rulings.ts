import type { Segment } from "./ruled-tables";

/** The pdf.js `OPS` codes this reads (pass pdfjs-dist's `OPS` object). */
export interface RulingOps {
  save: number;
  restore: number;
  transform: number;
  constructPath: number;
  paintFormXObjectBegin: number;
  paintFormXObjectEnd: number;
  stroke: number;
  closeStroke: number;
  fill: number;
  eoFill: number;
  fillStroke: number;
  eoFillStroke: number;
  closeFillStroke: number;
  closeEOFillStroke: number;
}

/** pdf.js 5 `DrawOPS` path codes inside a `constructPath` buffer. */
const draw = { moveTo: 0, lineTo: 1, curveTo: 2, quadraticCurveTo: 3, closePath: 4 } as const;

/** Beyond this many rulings a page is a drawing, not a table: stop collecting. */
const maxSegments = 5_000;
/** A filled rectangle at most this thick (points, after transforms) is a line. */
const maxLineThickness = 2;

type Matrix = [number, number, number, number, number, number];

/**
 * Horizontal and vertical ruling lines of a page from its pdf.js operator list
 * (`page.getOperatorList()`), in the viewport's top-left coordinates: the axis-aligned pieces
 * of stroked paths, and filled rectangles thin enough to be lines. Curves and large fills are
 * skipped. Pure: give it `OPS` and `viewport.transform`.
 */
export function rulingsFromOperatorList(
  operatorList: { fnArray: ArrayLike<number>; argsArray: ArrayLike<unknown> },
  ops: RulingOps,
  viewportTransform: readonly number[],
): Segment[] {
  const segments: Segment[] = [];
  const stack: Matrix[] = [];
  let ctm: Matrix = [1, 0, 0, 1, 0, 0];
  const viewport = toMatrix(viewportTransform);
  const strokes = new Set([
    ops.stroke,
    ops.closeStroke,
    ops.fillStroke,
    ops.eoFillStroke,
    ops.closeFillStroke,
    ops.closeEOFillStroke,
  ]);
  const fills = new Set([ops.fill, ops.eoFill]);

  for (let index = 0; index < operatorList.fnArray.length && segments.length < maxSegments; index++) {
    const fn = operatorList.fnArray[index];
    const args = operatorList.argsArray[index] as unknown[] | null;
    if (fn === ops.save) stack.push(ctm);
    else if (fn === ops.restore) ctm = stack.pop() ?? ctm;
    else if (fn === ops.transform && args) ctm = multiply(toMatrix(args as number[]), ctm);
    else if (fn === ops.paintFormXObjectBegin && args) {
      stack.push(ctm);
      if (Array.isArray(args[0]) || ArrayBuffer.isView(args[0]))
        ctm = multiply(toMatrix(args[0] as number[]), ctm);
    } else if (fn === ops.paintFormXObjectEnd) ctm = stack.pop() ?? ctm;
    else if (fn === ops.constructPath && args) {
      const paint = args[0] as number;
      const data = (args[1] as unknown[] | undefined)?.[0];
      if (!data || !(ArrayBuffer.isView(data) || Array.isArray(data))) continue;
      const transform = multiply(ctm, viewport);
      if (strokes.has(paint)) collectStrokes(data as ArrayLike<number>, transform, segments);
      else if (fills.has(paint)) collectThinFills(data as ArrayLike<number>, transform, segments);
    }
  }
  return segments;
}

/** Subpaths of a path buffer as point lists (curves end the subpath: they are not rulings). */
function subpaths(
  data: ArrayLike<number>,
  transform: Matrix,
): { points: [number, number][]; closed: boolean }[] {
  const paths: { points: [number, number][]; closed: boolean }[] = [];
  let current: { points: [number, number][]; closed: boolean } | null = null;
  for (let i = 0; i < data.length; ) {
    const code = data[i++];
    if (code === draw.moveTo || code === draw.lineTo) {
      const point = apply(transform, data[i++] ?? 0, data[i++] ?? 0);
      if (code === draw.moveTo || !current) {
        current = { points: [point], closed: false };
        paths.push(current);
      } else current.points.push(point);
    } else if (code === draw.curveTo) {
      i += 6;
      current = null;
    } else if (code === draw.quadraticCurveTo) {
      i += 4;
      current = null;
    } else if (code === draw.closePath) {
      if (current) current.closed = true;
    } else break;
  }
  return paths;
}

function collectStrokes(data: ArrayLike<number>, transform: Matrix, segments: Segment[]): void {
  for (const path of subpaths(data, transform)) {
    const points = path.closed && path.points[0] ? [...path.points, path.points[0]] : path.points;
    for (let k = 1; k < points.length; k++) {
      const [ax, ay] = points[k - 1] ?? [0, 0];
      const [bx, by] = points[k] ?? [0, 0];
      if (Math.abs(ay - by) < 1 || Math.abs(ax - bx) < 1) pushSegment(segments, ax, ay, bx, by);
    }
  }
}

function collectThinFills(data: ArrayLike<number>, transform: Matrix, segments: Segment[]): void {
  for (const path of subpaths(data, transform)) {
    if (path.points.length < 2 || path.points.length > 5) continue;
    const xs = path.points.map(([x]) => x);
    const ys = path.points.map(([, y]) => y);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    if (y1 - y0 <= maxLineThickness && x1 - x0 > y1 - y0)
      pushSegment(segments, x0, (y0 + y1) / 2, x1, (y0 + y1) / 2);
    else if (x1 - x0 <= maxLineThickness && y1 - y0 > x1 - x0)
      pushSegment(segments, (x0 + x1) / 2, y0, (x0 + x1) / 2, y1);
  }
}

function pushSegment(segments: Segment[], x0: number, y0: number, x1: number, y1: number): void {
  if (![x0, y0, x1, y1].every(Number.isFinite)) return;
  segments.push({ x0: Math.min(x0, x1), y0: Math.min(y0, y1), x1: Math.max(x0, x1), y1: Math.max(y0, y1) });
}

function toMatrix(values: ArrayLike<number>): Matrix {
  const [a = 1, b = 0, c = 0, d = 1, e = 0, f = 0] = Array.from(values);
  return [a, b, c, d, e, f];
}

/** `m` then `n` (PDF row-vector convention: point × m × n). */
function multiply(m: Matrix, n: Matrix): Matrix {
  return [
    m[0] * n[0] + m[1] * n[2],
    m[0] * n[1] + m[1] * n[3],
    m[2] * n[0] + m[3] * n[2],
    m[2] * n[1] + m[3] * n[3],
    m[4] * n[0] + m[5] * n[2] + n[4],
    m[4] * n[1] + m[5] * n[3] + n[5],
  ];
}

function apply(m: Matrix, x: number, y: number): [number, number] {
  return [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
}
