import { readFile } from "node:fs/promises";
import { createOcrEngine } from "../ocr/ocr-pool";
import { ocrToPageBlocks } from "../ocr/ocr-to-blocks";
import type { OcrEngine } from "../ocr/types";
import type { RegionOcr } from "./document-reader";

export interface LazyOcr extends RegionOcr {
  /** The engine, started on first use (loading language data takes ~1 s per worker). */
  engine(): Promise<OcrEngine>;
  dispose(): Promise<void>;
}

/**
 * The OCR engine behind page and figure regions, created when a document first needs it: a
 * server that only ever sees born-digital PDFs never starts a tesseract worker.
 */
export function createLazyOcr(options: {
  languages: readonly string[];
  workers: number;
  pageTimeoutMs: number;
}): LazyOcr {
  let started: Promise<OcrEngine> | null = null;
  const engine = () => {
    started ??= createOcrEngine(options);
    // A failed start (a missing language package) is retried by the next document.
    started.catch(() => {
      started = null;
    });
    return started;
  };
  return {
    engine,
    readRegion: async (file, placement) => {
      const image = await readFile(file);
      // Whole pages get tesseract's page layout; figures (charts, diagrams) the sparse mode,
      // which keeps labels the layout analysis would drop as graphics.
      const layout = placement.isWholePage ? "page" : "sparse";
      return ocrToPageBlocks(await (await engine()).recognize(image, { layout }), placement);
    },
    dispose: async () => {
      const current = started;
      started = null;
      if (current) await (await current.catch(() => null))?.dispose();
    },
  };
}
