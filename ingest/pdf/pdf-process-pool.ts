import { setPriority } from "node:os";
import { z } from "zod";
import { AppError } from "../../lib/errors";
import {
  type ChildExit,
  type RunningChild,
  setKeepsParentAlive,
  spawnChild,
  stopChild,
  summarizeStderr,
} from "./pdf-child-process";
import {
  type ChildMessage,
  type ChildPageMessage,
  type ChildRequest,
  childMessageSchema,
  type ExtractRequest,
  type RenderRequest,
} from "./pdf-protocol";

export { resolveExtractorChildPath } from "./pdf-child-process";

/**
 * pdf.js in a pool of child processes (SECURITY.md: pdf.js can loop or exhaust memory on hostile
 * files, and pdf.js is single-threaded). A document is read in ranges of pages spread over the
 * idle children and handed back in page order, with a bounded number of pages read ahead. A page
 * that takes longer than its budget kills its child and fails the document; a child that dies
 * fails only the document it was working on, and the next request starts a fresh child.
 */
export interface PdfProcessPool {
  /**
   * Starts reading a PDF. Resolves once it is open (page count, title); its pages then arrive in
   * order. Fails with an AppError whose code is one of `invalid:pdf_encrypted`,
   * `invalid:pdf_wrong_password`, `invalid:pdf_malformed`, `invalid:pdf_too_many_pages`,
   * `invalid:pdf_timeout`, `invalid:page_timeout`, `invalid:pdf_out_of_memory`, or an
   * "internal" error when the file cannot be read or a child cannot start.
   */
  read(filePath: string, options: PdfReadOptions): Promise<PdfPageStream>;
  /** Renders one page to a PNG file `widthPx` wide. */
  render(
    filePath: string,
    options: { pageNumber: number; widthPx: number; outputPath: string; password?: string },
  ): Promise<RenderedPage>;
  /** Fails the work in progress at once and stops every child; later calls fail. */
  dispose(): Promise<void>;
  /** Process ids of the running children. */
  readonly childProcessIds: number[];
}

export interface PdfReadOptions {
  password?: string;
  /** Where figure crops are written; null to find figures without writing them. */
  figureDirectory: string | null;
  /** Where the children write page renders for OCR. */
  workDirectory: string;
}

/** A page render: the PNG's size, and the page's own size in PDF points (rotation applied). */
export interface RenderedPage {
  widthPx: number;
  heightPx: number;
  pageWidth: number;
  pageHeight: number;
}

export interface PdfPageStream {
  pageCount: number;
  title: string | null;
  /** Pages in order, with the OCR each one still needs. Stop iterating to cancel the rest. */
  pages: AsyncIterable<ChildPageMessage>;
}

export const pdfProcessPoolOptionsSchema = z
  .object({
    /** Children working in parallel. @default 2 */
    processes: z.number().int().min(1).max(64).default(2),
    /** Wall-clock budget of a whole document (a fresh child's start-up is not counted). @default 1800000 */
    timeoutMs: z.number().int().positive().default(1_800_000),
    /** Longest wait for the next page (or for the document to open). @default 30000 */
    pageTimeoutMs: z.number().int().positive().default(30_000),
    /**
     * V8 heap cap of a child (`--max-old-space-size`); the operating system caps its whole data
     * segment at this plus `nativeMemoryMb`. @default 1024
     */
    maxMemoryMb: z.number().int().min(128).default(1024),
    /**
     * Room above the heap for native memory (canvas renders, decoded images, wasm). RLIMIT_DATA
     * also counts writable address space reserved but unused: a pdf.js child with Skia loaded
     * starts with ~1.5 GB of it, so this is well above what pages really use. @default 3072
     */
    nativeMemoryMb: z.number().int().min(64).default(3072),
    /** Documents with more pages are refused before any page is parsed. @default 2000 */
    maxPages: z.number().int().positive().default(2000),
    /** Pages per request: small enough to spread a document, large enough to amortise. @default 8 */
    pagesPerRange: z.number().int().positive().default(8),
  })
  .strict();

export type PdfProcessPoolOptions = z.input<typeof pdfProcessPoolOptionsSchema>;
type Options = z.output<typeof pdfProcessPoolOptionsSchema>;

export function createPdfProcessPool(options: PdfProcessPoolOptions = {}): PdfProcessPool {
  return new ChildProcessPool(pdfProcessPoolOptionsSchema.parse(options));
}

/** A fresh child costs ~0.5 s (tsx + pdf.js); recycling now and then bounds any slow leak. */
const requestsPerChild = 1000;

interface Slot {
  child: RunningChild | null;
  isBusy: boolean;
  requestsDone: number;
  /** The document the child last had open (it keeps one), so "close" goes only where it helps. */
  lastFile: string | null;
}

/** A request without its id (the pool numbers them). */
type WorkRequest = Omit<ExtractRequest, "requestId"> | Omit<RenderRequest, "requestId">;

/** A document's wall-clock budget; it starts when its first request reaches a ready child. */
interface Deadline {
  at: number | null;
  timeoutMs: number;
}

class ChildProcessPool implements PdfProcessPool {
  readonly #options: Options;
  readonly #slots: Slot[];
  readonly #waiting: ((slot: Slot) => void)[] = [];
  #nextRequestId = 0;
  #isDisposed = false;
  /** Requests in progress, each with a way to fail it (which kills its child). */
  readonly #inFlight = new Set<(error: AppError) => void>();

  constructor(options: Options) {
    this.#options = options;
    this.#slots = Array.from({ length: options.processes }, () => ({
      child: null,
      isBusy: false,
      requestsDone: 0,
      lastFile: null,
    }));
  }

  get childProcessIds(): number[] {
    return this.#slots.flatMap((slot) => (slot.child?.process.pid ? [slot.child.process.pid] : []));
  }

  async read(filePath: string, options: PdfReadOptions): Promise<PdfPageStream> {
    const deadline: Deadline = { at: null, timeoutMs: this.#options.timeoutMs };
    const document = new DocumentRead(this.#options.pagesPerRange * this.#options.processes * 2);
    const request = (firstPage: number, lastPage: number): Omit<ExtractRequest, "requestId"> => ({
      type: "extract",
      filePath,
      ...(options.password === undefined ? {} : { password: options.password }),
      maxPages: this.#options.maxPages,
      firstPage,
      lastPage,
      figureDirectory: options.figureDirectory,
      workDirectory: options.workDirectory,
    });
    const range = this.#options.pagesPerRange;
    const slotsUsed = new Set<Slot>();
    const runRange = async (firstPage: number, lastPage: number) => {
      const slot = await this.#acquire();
      try {
        // The document may have failed while this range waited for a child.
        if (document.isStopped) return;
        slotsUsed.add(slot);
        await this.#run(slot, request(firstPage, lastPage), deadline, (message) => {
          if (message.type === "opened") document.opened(message.pageCount, message.title);
          else if (message.type === "page") document.deliver(message);
        });
      } finally {
        document.settleRange(firstPage, lastPage);
        this.#release(slot, filePath);
      }
    };

    const schedule = async () => {
      document.requestRange(1, range);
      const firstRange = runRange(1, range);
      firstRange.catch((error: unknown) => document.fail(error));
      // The other ranges need the page count, which the first child reports as soon as it has
      // opened the file (a file it cannot open fails the first range, and so the document).
      await Promise.race([document.whenOpened, firstRange]);
      const pageCount = document.pageCount ?? 0;
      const pending: Promise<void>[] = [firstRange];
      for (let firstPage = range + 1; firstPage <= pageCount; firstPage += range) {
        const lastPage = Math.min(pageCount, firstPage + range - 1);
        await document.roomFor(lastPage - firstPage + 1);
        if (document.isStopped) break;
        document.requestRange(firstPage, lastPage);
        const running = runRange(firstPage, lastPage);
        running.catch((error: unknown) => document.fail(error));
        pending.push(running);
      }
      await Promise.all(pending);
    };
    schedule().then(
      () => {
        document.finish();
        this.#closeDocument(filePath, slotsUsed);
      },
      (error: unknown) => {
        document.fail(error);
        this.#closeDocument(filePath, slotsUsed);
      },
    );
    await document.whenOpened;
    return { pageCount: document.pageCount ?? 0, title: document.title, pages: document.pages() };
  }

  async render(
    filePath: string,
    options: { pageNumber: number; widthPx: number; outputPath: string; password?: string },
  ): Promise<RenderedPage> {
    const deadline: Deadline = { at: null, timeoutMs: this.#options.pageTimeoutMs };
    const slot = await this.#acquire();
    let size: RenderedPage | null = null;
    try {
      await this.#run(
        slot,
        {
          type: "render",
          filePath,
          ...(options.password === undefined ? {} : { password: options.password }),
          pageNumber: options.pageNumber,
          widthPx: options.widthPx,
          outputPath: options.outputPath,
        },
        deadline,
        (message) => {
          if (message.type === "rendered") {
            const { widthPx, heightPx, pageWidth, pageHeight } = message;
            size = { widthPx, heightPx, pageWidth, pageHeight };
          }
        },
      );
    } finally {
      this.#release(slot, filePath);
    }
    if (!size) throw poolFault("render finished without a size");
    return size;
  }

  async dispose(): Promise<void> {
    this.#isDisposed = true;
    const children = this.#slots.flatMap((slot) => (slot.child ? [slot.child] : []));
    for (const slot of this.#slots) slot.child = null;
    for (const cancel of [...this.#inFlight]) cancel(disposedError());
    for (const resolve of this.#waiting.splice(0)) resolve(null as unknown as Slot);
    // Shutting down does not wait for a child still loading or parsing; when this resolves, no
    // child of the pool is left (not even as a zombie).
    await Promise.all(
      children.map(async (child) => {
        child.isBeingStopped = true;
        // Referenced again, so Node waits for the exit instead of leaving `dispose()` unsettled.
        setKeepsParentAlive(child.process, true);
        child.process.kill("SIGKILL");
        await child.exited;
      }),
    );
  }

  async #acquire(): Promise<Slot> {
    if (this.#isDisposed) throw disposedError();
    const idle = this.#slots.find((slot) => !slot.isBusy);
    const slot = idle ?? (await new Promise<Slot>((resolve) => this.#waiting.push(resolve)));
    if (this.#isDisposed || !slot) throw disposedError();
    slot.isBusy = true;
    return slot;
  }

  #release(slot: Slot, filePath: string): void {
    slot.isBusy = false;
    slot.lastFile = filePath;
    const next = this.#waiting.shift();
    if (next) next(slot);
  }

  /** Idle children that still hold this document let it go; busy ones have moved on anyway. */
  #closeDocument(filePath: string, slots: Set<Slot>): void {
    for (const slot of slots) {
      if (slot.isBusy || slot.lastFile !== filePath || !slot.child) continue;
      slot.lastFile = null;
      slot.child.process.send({ type: "close" } satisfies ChildRequest, () => undefined);
    }
  }

  async #startedChild(slot: Slot): Promise<RunningChild> {
    if (this.#isDisposed) throw disposedError();
    if (!slot.child) {
      const child = spawnChild({ heapMb: this.#options.maxMemoryMb, nativeMb: this.#options.nativeMemoryMb });
      slot.child = child;
      // Parsing yields the cores to answering: nice 10 (a child that already died has nothing to lower).
      if (child.process.pid) setPriority(child.process.pid, 10);
      slot.requestsDone = 0;
      slot.lastFile = null;
      // A child that dies while idle (killed from outside, crashed late) is replaced on next use.
      void child.exited.then(() => {
        if (slot.child === child) slot.child = null;
      });
    }
    const child = slot.child;
    try {
      await child.ready;
      return child;
    } catch (error) {
      if (slot.child === child) slot.child = null;
      throw error;
    }
  }

  async #run(
    slot: Slot,
    request: WorkRequest,
    deadline: Deadline,
    onMessage: (message: ChildMessage) => void,
  ): Promise<void> {
    if (this.#isDisposed) throw disposedError();
    const child = await this.#startedChild(slot);
    deadline.at ??= Date.now() + deadline.timeoutMs;
    const requestId = this.#nextRequestId++;
    setKeepsParentAlive(child.process, true);
    try {
      await this.#exchange(slot, child, { ...request, requestId }, deadline, onMessage);
    } finally {
      // A child being stopped (dispose) stays referenced until it has exited: unreferencing it
      // here, a moment after the last page, left `dispose()` unsettled in a process with nothing
      // else to do, which then exited silently before the code after it ran.
      if (!child.isBeingStopped) setKeepsParentAlive(child.process, false);
      slot.requestsDone++;
      if (slot.child === child && slot.requestsDone >= requestsPerChild) {
        slot.child = null;
        void stopChild(child);
      }
    }
  }

  #exchange(
    slot: Slot,
    child: RunningChild,
    request: ExtractRequest | RenderRequest,
    deadline: Deadline,
    forward: (message: ChildMessage) => void,
  ): Promise<void> {
    const { pageTimeoutMs, maxMemoryMb } = this.#options;
    return new Promise<void>((resolve, reject) => {
      let isSettled = false;
      let timer: NodeJS.Timeout | undefined;
      let pagesSeen = 0;
      const settle = (outcome: () => void) => {
        if (isSettled) return;
        isSettled = true;
        this.#inFlight.delete(killAndReject);
        clearTimeout(timer);
        child.process.off("message", onMessage);
        outcome();
      };
      function killAndReject(error: unknown) {
        settle(() => {
          child.isBeingStopped = true;
          if (slot.child === child) slot.child = null;
          child.process.kill("SIGKILL");
          reject(error);
        });
      }
      const armTimer = () => {
        clearTimeout(timer);
        const remaining = (deadline.at ?? Number.POSITIVE_INFINITY) - Date.now();
        const isDocumentBudget = remaining < pageTimeoutMs;
        timer = setTimeout(
          () =>
            killAndReject(
              isDocumentBudget
                ? documentTimeout(deadline.timeoutMs)
                : pageTimeout(request, pagesSeen, pageTimeoutMs),
            ),
          Math.max(0, Math.min(remaining, pageTimeoutMs)),
        );
      };
      armTimer();
      this.#inFlight.add(killAndReject);

      child.exited
        .then((exit: ChildExit) => {
          if (isSettled || child.isBeingStopped) return;
          if (slot.child === child) slot.child = null;
          settle(() =>
            reject(
              new AppError("invalid:pdf_out_of_memory", {
                message: `This PDF needs more memory than the reader may use (${maxMemoryMb} MB of JavaScript heap, ${maxMemoryMb + this.#options.nativeMemoryMb} MB in all), or it crashed the reader.`,
                details: { maxMemoryMb },
                cause: new Error(
                  `PDF child exited (code ${exit.code}, signal ${exit.signal}): ${summarizeStderr(child.stderrTail)}`,
                ),
              }),
            ),
          );
        })
        .catch(() => undefined);

      const onMessage = (raw: unknown) => {
        const parsed = childMessageSchema.safeParse(raw);
        if (!parsed.success) {
          killAndReject(poolFault(`invalid message: ${parsed.error.message.slice(0, 500)}`));
          return;
        }
        const message = parsed.data;
        if (message.type === "ready" || message.requestId !== request.requestId) return;
        armTimer();
        if (message.type === "failed") {
          settle(() => reject(failureToError(message, this.#options)));
          return;
        }
        if (message.type === "page") pagesSeen++;
        try {
          forward(message);
        } catch (error) {
          killAndReject(error);
          return;
        }
        if (message.type === "done" || message.type === "rendered") settle(resolve);
      };
      child.process.on("message", onMessage);
      child.process.send(request, (error) => {
        if (error) killAndReject(poolFault(`could not send the request: ${error.message}`));
      });
    });
  }
}

/**
 * One document being read: pages arrive from several children in any order and leave in page
 * order; ranges are only dispatched while fewer than `readAhead` pages wait to be consumed.
 */
class DocumentRead {
  pageCount: number | null = null;
  title: string | null = null;
  isStopped = false;
  readonly whenOpened: Promise<void>;
  #resolveOpened!: () => void;
  #rejectOpened!: (error: unknown) => void;
  readonly #ready = new Map<number, ChildPageMessage>();
  /** Pages of ranges still running (counted until the range ends, delivered or not). */
  #outstanding = 0;
  #nextPage = 1;
  #isFinished = false;
  #error: unknown = null;
  #wake: (() => void) | null = null;
  #roomWaiters: (() => void)[] = [];

  constructor(private readonly readAhead: number) {
    this.whenOpened = new Promise((resolve, reject) => {
      this.#resolveOpened = resolve;
      this.#rejectOpened = reject;
    });
    this.whenOpened.catch(() => undefined);
  }

  opened(pageCount: number, title: string | null): void {
    if (this.pageCount !== null) return;
    this.pageCount = pageCount;
    this.title = title;
    this.#resolveOpened();
  }

  deliver(message: ChildPageMessage): void {
    const pageNumber = message.page.pageNumber;
    if (this.isStopped) return; // the reader gave up on the document; later pages are dropped
    if (pageNumber < this.#nextPage || pageNumber > (this.pageCount ?? 0) || this.#ready.has(pageNumber)) {
      throw poolFault(`unexpected page ${pageNumber}`);
    }
    this.#ready.set(pageNumber, message);
    this.#signal();
  }

  finish(): void {
    this.#isFinished = true;
    this.#signal();
  }

  fail(error: unknown): void {
    if (this.isStopped) return;
    this.#error = error;
    this.isStopped = true;
    this.#rejectOpened(error);
    this.#signal();
  }

  /**
   * Resolves once `pages` more fit in the read-ahead: pages asked for plus pages waiting to be
   * consumed stay within `readAhead` (or reading stopped).
   */
  async roomFor(pages: number): Promise<void> {
    while (!this.isStopped && this.#outstanding + this.#ready.size + pages > this.readAhead) {
      await new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
    }
  }

  requestRange(firstPage: number, lastPage: number): void {
    this.#outstanding += lastPage - firstPage + 1;
  }

  /** A range's request ended (its pages are now waiting to be consumed, or were given up). */
  settleRange(firstPage: number, lastPage: number): void {
    this.#outstanding -= lastPage - firstPage + 1;
    for (const resolve of this.#roomWaiters.splice(0)) resolve();
  }

  async *pages(): AsyncGenerator<ChildPageMessage> {
    try {
      while (true) {
        if (this.#error) throw this.#error;
        const next = this.#ready.get(this.#nextPage);
        if (next) {
          this.#ready.delete(this.#nextPage);
          this.#nextPage++;
          for (const resolve of this.#roomWaiters.splice(0)) resolve();
          yield next;
          continue;
        }
        if (this.#nextPage > (this.pageCount ?? 0)) return;
        if (this.#isFinished) throw poolFault(`reading ended before page ${this.#nextPage}`);
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    } finally {
      this.isStopped = true;
      this.#ready.clear();
      for (const resolve of this.#roomWaiters.splice(0)) resolve();
    }
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
    if (this.isStopped) for (const resolve of this.#roomWaiters.splice(0)) resolve();
  }
}

function failureToError(failure: Extract<ChildMessage, { type: "failed" }>, options: Options): AppError {
  const cause = new Error(failure.detail);
  switch (failure.reason) {
    case "encrypted":
      return new AppError("invalid:pdf_encrypted", {
        message: "This PDF is password-protected: upload it again with its password.",
        cause,
      });
    case "wrong_password":
      return new AppError("invalid:pdf_wrong_password", {
        message: "The password given for this PDF is not correct.",
        cause,
      });
    case "empty":
      // Same code as any unreadable file: callers need one "broken file" case, users a clear message.
      return new AppError("invalid:pdf_malformed", { message: "This PDF file is empty (0 bytes).", cause });
    case "malformed":
      return new AppError("invalid:pdf_malformed", {
        message: "This file is damaged or is not a PDF, and could not be read.",
        cause,
      });
    case "too_many_pages":
      return new AppError("invalid:pdf_too_many_pages", {
        message: `This PDF has ${failure.pageCount ?? "too many"} pages; at most ${options.maxPages} are accepted.`,
        details: { pageCount: failure.pageCount, maxPages: options.maxPages },
        cause,
      });
    case "out_of_memory":
      return new AppError("invalid:pdf_out_of_memory", {
        message: `This PDF needs more memory than the reader may use (${options.maxMemoryMb} MB of JavaScript heap, ${options.maxMemoryMb + options.nativeMemoryMb} MB in all).`,
        details: { maxMemoryMb: options.maxMemoryMb },
        cause,
      });
    case "no_such_page":
      return new AppError("not_found:page_number", { message: "The document has no such page.", cause });
    case "internal":
      return poolFault(`child failed: ${failure.detail}`);
    case "unreadable_file":
      return new AppError("internal:unreadable_file", {
        message: "The stored file could not be read.",
        cause,
      });
  }
}

function pageTimeout(
  request: ExtractRequest | RenderRequest,
  pagesSeen: number,
  timeoutMs: number,
): AppError {
  const pageNumber = request.type === "extract" ? request.firstPage + pagesSeen : request.pageNumber;
  return new AppError("invalid:page_timeout", {
    message: `Page ${pageNumber} of this PDF took longer than ${formatSeconds(timeoutMs)} to read and the document was skipped; it may be damaged or built to stall readers.`,
    details: { pageNumber, timeoutMs },
  });
}

function documentTimeout(timeoutMs: number): AppError {
  return new AppError("invalid:pdf_timeout", {
    message: `This PDF took longer than ${formatSeconds(timeoutMs)} to read and was skipped; it may be damaged or built to stall readers.`,
    details: { timeoutMs },
  });
}

function disposedError(): AppError {
  return new AppError("unavailable:pdf_extractor", { message: "The PDF reader has been shut down." });
}

/** A fault of the pool itself (broken protocol, a bug in the child), not of the file. */
function poolFault(detail: string): AppError {
  return new AppError("internal:pdf_extractor", {
    message: "The PDF reader failed unexpectedly.",
    cause: new Error(`PDF process pool: ${detail}`),
  });
}

function formatSeconds(milliseconds: number): string {
  return milliseconds >= 1000 ? `${Math.round(milliseconds / 100) / 10} s` : `${milliseconds} ms`;
}
