import type { Worker as WorkerThread } from "node:worker_threads";
import sharp from "sharp";
import Tesseract from "tesseract.js";
import { AppError, isAppError } from "../../lib/errors";
import { linkLanguageDirectory, resolveLanguageData } from "./language-data";
import { toOcrResult } from "./tesseract-result";
import type { OcrEngine, OcrResult, RecognizeOptions } from "./types";

export interface OcrEngineOptions {
  /** tesseract codes, e.g. `["eng", "deu"]`; each from its `@tesseract.js-data/<code>` package. */
  languages: readonly string[];
  /** Worker threads, created on first need. @default 1 */
  workers?: number;
  /** Wall-clock budget of one `recognize`, from the moment a worker takes it. @default 60000 */
  pageTimeoutMs?: number;
  /** Budget for a worker to load its languages (~1 s per worker normally). @default 60000 */
  startTimeoutMs?: number;
}

interface Job {
  image: Buffer;
  width: number;
  height: number;
  timeoutMs: number;
  layout: "page" | "sparse";
  signal: AbortSignal | undefined;
  resolve: (result: OcrResult) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  worker: Promise<Tesseract.Worker> | null;
  job: Job | null;
}

/**
 * An offline tesseract.js pool. Languages are checked at once (a missing package fails here, not
 * on the first page); workers start lazily. A recognition over its budget, or aborted, terminates
 * its worker thread (tesseract cannot be interrupted otherwise) and the slot starts a new one for
 * the next job. Idle worker threads are unreferenced, so a forgotten engine never keeps Node alive.
 */
export async function createOcrEngine(options: OcrEngineOptions): Promise<OcrEngine> {
  const data = resolveLanguageData(options.languages);
  const languages = data.map((language) => language.code);
  const { langPath, remove } = await linkLanguageDirectory(data);
  const pageTimeoutMs = options.pageTimeoutMs ?? 60_000;
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const slots: Slot[] = Array.from({ length: Math.max(1, options.workers ?? 1) }, () => ({
    worker: null,
    job: null,
  }));
  const queue: Job[] = [];
  let isDisposed = false;

  const disposedError = () =>
    new AppError("unavailable:ocr_engine", { message: "The OCR engine was shut down." });

  function startWorker(): Promise<Tesseract.Worker> {
    const starting = Tesseract.createWorker(languages.join("+"), Tesseract.OEM.LSTM_ONLY, {
      langPath,
      gzip: true,
      cacheMethod: "none",
      // Without a handler tesseract.js rethrows worker errors inside its message listener, where
      // nothing can catch them; the failing job's own promise still rejects.
      errorHandler: () => {},
    });
    // TessBaseAPI's default is SINGLE_BLOCK, which reads across columns; the CLI uses AUTO.
    const configured = starting.then(async (worker) => {
      // debug_file: tesseract prints notices ("Estimating resolution as …") to stdout otherwise.
      await worker.setParameters({ tessedit_pageseg_mode: Tesseract.PSM.AUTO, debug_file: "/dev/null" });
      return worker;
    });
    // A worker whose data fails to initialise never settles (tesseract.js 7): bound the wait.
    return withTimeout(configured, startTimeoutMs, () => {
      void starting.then((worker) => worker.terminate()).catch(() => {});
      return new AppError("unavailable:ocr_engine", {
        message: `An OCR worker did not start within ${startTimeoutMs / 1000} s.`,
      });
    }).then(
      (worker) => {
        setKeepsProcessAlive(worker, false);
        return worker;
      },
      (error: unknown) => {
        throw isAppError(error)
          ? error
          : new AppError("unavailable:ocr_engine", {
              message: "An OCR worker failed to start.",
              cause: error,
            });
      },
    );
  }

  function replaceWorker(slot: Slot): void {
    const worker = slot.worker;
    slot.worker = null;
    void worker?.then((started) => started.terminate()).catch(() => {});
  }

  async function run(slot: Slot, job: Job): Promise<void> {
    slot.job = job;
    try {
      slot.worker ??= startWorker();
      let worker: Tesseract.Worker;
      try {
        worker = await slot.worker;
      } catch (error) {
        slot.worker = null;
        throw error;
      }
      if (isDisposed) throw disposedError();
      setKeepsProcessAlive(worker, true);
      let isReplaced = false;
      try {
        // Parameters given with a recognition apply to it alone (tesseract.js restores them after);
        // its types declare only its own options, tesseract parameters pass through.
        const parameters = (
          job.layout === "sparse" ? { tessedit_pageseg_mode: Tesseract.PSM.SPARSE_TEXT } : {}
        ) as Partial<Tesseract.RecognizeOptions>;
        const recognition = worker.recognize(job.image, parameters, { blocks: true, text: false });
        const page = await withTimeout(
          recognition,
          job.timeoutMs,
          () =>
            new AppError("invalid:page_timeout", {
              message: `OCR of a page took longer than ${job.timeoutMs / 1000} s.`,
            }),
          job.signal,
        );
        job.resolve(toOcrResult(page.data, job.width, job.height));
      } catch (error) {
        if (isAppError(error)) {
          // Over budget or aborted: the thread is still working on the page; only killing it stops it.
          isReplaced = true;
          replaceWorker(slot);
          throw error;
        }
        throw new AppError("invalid:image_malformed", {
          message: "The OCR engine could not read the image.",
          cause: error,
        });
      } finally {
        if (!isReplaced) setKeepsProcessAlive(worker, false);
      }
    } catch (error) {
      job.reject(error);
    } finally {
      slot.job = null;
      pump();
    }
  }

  function pump(): void {
    if (isDisposed) return;
    for (const slot of slots) {
      if (slot.job) continue;
      const job = queue.shift();
      if (!job) return;
      void run(slot, job);
    }
  }

  async function recognize(image: Buffer, recognizeOptions: RecognizeOptions = {}): Promise<OcrResult> {
    if (isDisposed) throw disposedError();
    recognizeOptions.signal?.throwIfAborted();
    const { width, height, png } = await asPng(image);
    return new Promise<OcrResult>((resolve, reject) => {
      if (isDisposed) return reject(disposedError());
      queue.push({
        image: png,
        width,
        height,
        timeoutMs: recognizeOptions.timeoutMs ?? pageTimeoutMs,
        layout: recognizeOptions.layout ?? "page",
        signal: recognizeOptions.signal,
        resolve,
        reject,
      });
      pump();
    });
  }

  async function dispose(): Promise<void> {
    if (isDisposed) return;
    isDisposed = true;
    for (const job of queue.splice(0)) job.reject(disposedError());
    const stopping = slots.map(async (slot) => {
      slot.job?.reject(disposedError());
      const worker = slot.worker;
      slot.worker = null;
      await worker?.then((started) => started.terminate()).catch(() => {});
    });
    await Promise.all(stopping);
    await remove();
  }

  return { languages, recognize, dispose, [Symbol.asyncDispose]: dispose };
}

/** tesseract.js decodes with leptonica; PNG is the one format both sides handle the same way. */
async function asPng(image: Buffer): Promise<{ width: number; height: number; png: Buffer }> {
  try {
    const metadata = await sharp(image).metadata();
    const isPng = metadata.format === "png";
    const png = isPng ? image : await sharp(image).png({ compressionLevel: 1 }).toBuffer();
    return { width: metadata.width ?? 0, height: metadata.height ?? 0, png };
  } catch (error) {
    throw new AppError("invalid:image_malformed", { message: "The image cannot be decoded.", cause: error });
  }
}

function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  onTimeout: () => Error,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      cleanup();
      reject(
        new AppError("unavailable:ocr_engine", { message: "OCR was cancelled.", cause: signal?.reason }),
      );
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(onTimeout());
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}

/** tesseract.js exposes its `worker_threads` Worker as `worker` on the object it returns. */
function setKeepsProcessAlive(worker: Tesseract.Worker, keepsAlive: boolean): void {
  const thread = (worker as unknown as { worker?: WorkerThread | null }).worker;
  if (!thread) return;
  if (keepsAlive) thread.ref();
  else thread.unref();
}
