import { describe, expect, it } from "vitest";
import { type RulingOps, rulingsFromOperatorList } from "../../ingest/layout/page-rulings";

const ops: RulingOps = {
  save: 10,
  restore: 11,
  transform: 12,
  constructPath: 91,
  paintFormXObjectBegin: 74,
  paintFormXObjectEnd: 75,
  stroke: 20,
  closeStroke: 21,
  fill: 22,
  eoFill: 23,
  fillStroke: 24,
  eoFillStroke: 25,
  closeFillStroke: 26,
  closeEOFillStroke: 27,
};
const [moveTo, lineTo, curveTo, closePath] = [0, 1, 2, 4];
/** A US-letter page at scale 1: PDF y up → top-left y down. */
const viewport = [1, 0, 0, -1, 0, 792];

function path(paint: number, data: number[]) {
  return [paint, [new Float32Array(data)], null];
}

describe("rulingsFromOperatorList", () => {
  it("keeps axis-aligned stroked lines and thin filled rectangles, in top-left coordinates", () => {
    const operatorList = {
      fnArray: [ops.constructPath, ops.constructPath, ops.constructPath, ops.constructPath],
      argsArray: [
        path(ops.stroke, [moveTo, 72, 700, lineTo, 300, 700]),
        path(ops.fill, [moveTo, 72, 600, lineTo, 72.5, 600, lineTo, 72.5, 700, lineTo, 72, 700, closePath]),
        path(ops.stroke, [moveTo, 72, 500, lineTo, 300, 560]), // diagonal: not a ruling
        path(ops.fill, [moveTo, 0, 0, lineTo, 200, 0, lineTo, 200, 200, lineTo, 0, 200, closePath]), // a large fill
      ],
    };
    expect(rulingsFromOperatorList(operatorList, ops, viewport)).toEqual([
      { x0: 72, y0: 92, x1: 300, y1: 92 },
      { x0: 72.25, y0: 92, x1: 72.25, y1: 192 },
    ]);
  });

  it("applies the current transform inside save/restore and form XObjects, and skips curves", () => {
    const operatorList = {
      fnArray: [
        ops.save,
        ops.transform,
        ops.constructPath,
        ops.restore,
        ops.paintFormXObjectBegin,
        ops.constructPath,
        ops.paintFormXObjectEnd,
        ops.constructPath,
      ],
      argsArray: [
        null,
        [1, 0, 0, 1, 100, 0],
        path(ops.stroke, [moveTo, 0, 700, lineTo, 50, 700]),
        null,
        [[1, 0, 0, 1, 0, -100], null],
        path(ops.stroke, [moveTo, 0, 700, lineTo, 50, 700]),
        null,
        path(ops.stroke, [moveTo, 0, 700, curveTo, 10, 700, 20, 700, 30, 700]),
      ],
    };
    expect(rulingsFromOperatorList(operatorList, ops, viewport)).toEqual([
      { x0: 100, y0: 92, x1: 150, y1: 92 },
      { x0: 0, y0: 192, x1: 50, y1: 192 },
    ]);
  });
});
