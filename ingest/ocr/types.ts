import type { BoundingBox } from "../../lib/domain/geometry";

/** A recognised word, line or block: text, its box in the recognised image's pixels, and 0–1 confidence. */
export interface OcrText {
  text: string;
  /** Pixels of the image given to `recognize`, top-left origin. */
  box: BoundingBox;
  /** Mean word confidence in [0, 1]. */
  confidence: number;
}

export interface OcrLine extends OcrText {
  words: OcrText[];
}

/** One tesseract paragraph (our block), lines in reading order. */
export interface OcrBlock extends OcrText {
  lines: OcrLine[];
}

export interface OcrResult {
  /** Size of the recognised image in pixels. */
  width: number;
  height: number;
  /** Mean confidence of all words in [0, 1]; 0 when nothing was recognised. */
  confidence: number;
  blocks: OcrBlock[];
}

export interface RecognizeOptions {
  /**
   * `page`: tesseract's automatic layout (columns, paragraphs; reading order), for documents.
   * `sparse`: as much text as possible in no particular order, for charts, diagrams and
   * screenshots, whose labels the page layout analysis drops as graphics. @default "page"
   */
  layout?: "page" | "sparse";
  /** Overrides the engine's per-page budget for this call. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Offline OCR with a pool of tesseract workers. `recognize` queues when every worker is busy.
 * Failures: `invalid:page_timeout` (over budget; that worker is replaced), `unavailable:ocr_engine`
 * (a worker cannot start, or the engine was disposed), `invalid:image_malformed` (unreadable image).
 */
export interface OcrEngine {
  readonly languages: readonly string[];
  recognize(image: Buffer, options?: RecognizeOptions): Promise<OcrResult>;
  /** Stops every worker thread; pending and later calls fail with `unavailable:ocr_engine`. */
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
