/**
 * Canvas for pdf.js in Node, from `@napi-rs/canvas`. Import this module before pdf.js: pdf.js
 * draws glyphs with the global `Path2D`, and a Path2D from another implementation makes
 * `fill()` throw. pdf.js's own Node canvas factory shrinks released canvases to 0×0, which
 * crashes @napi-rs/canvas 1.1 (a segmentation fault while drawing scanned images): ours lets the
 * garbage collector release them instead.
 */
import { type Canvas, createCanvas, DOMMatrix, ImageData, Path2D, type SKRSContext2D } from "@napi-rs/canvas";

const globals = globalThis as Record<string, unknown>;
globals.Path2D = Path2D;
globals.DOMMatrix = DOMMatrix;
globals.ImageData = ImageData;

interface CanvasAndContext {
  canvas: Canvas | null;
  context: SKRSContext2D | null;
}

export class NapiCanvasFactory {
  create(width: number, height: number): CanvasAndContext {
    const canvas = createCanvas(Math.max(1, Math.ceil(width)), Math.max(1, Math.ceil(height)));
    return { canvas, context: canvas.getContext("2d") };
  }

  reset(canvasAndContext: CanvasAndContext, width: number, height: number): void {
    if (!canvasAndContext.canvas) return;
    canvasAndContext.canvas.width = Math.max(1, Math.ceil(width));
    canvasAndContext.canvas.height = Math.max(1, Math.ceil(height));
  }

  destroy(canvasAndContext: CanvasAndContext): void {
    canvasAndContext.canvas = null;
    canvasAndContext.context = null;
  }
}

export type { Canvas };
export { createCanvas };
