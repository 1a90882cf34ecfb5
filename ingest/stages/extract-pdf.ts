import { z } from "zod";
import { AppError } from "../../lib/errors";
import type { ExtractedDocument, ExtractedPage } from "../types";
import {
  type ChildExit,
  type RunningChild,
  setKeepsParentAlive,
  spawnChild,
  stopChild,
  summarizeStderr,
} from "./extract-pdf-child-process";
import { type ChildMessage, childMessageSchema, type ExtractRequest } from "./extract-pdf-protocol";

export { resolveExtractorChildPath } from "./extract-pdf-child-process";

/**
 * PDF text extraction with pdf.js in a child process (SECURITY.md: pdf.js can loop or exhaust
 * memory on hostile files). One child is kept and reused, documents are processed one at a time,
 * a document over its wall-clock budget is SIGKILLed with its child, and a child that dies fails
 * only the document it was working on: the next document starts a fresh child.
 */
export interface PdfExtractor {
  /**
   * Text items, blocks and metadata of every page. Fails with an AppError whose code is one of
   * `invalid:pdf_encrypted`, `invalid:pdf_malformed`, `invalid:pdf_too_many_pages`,
   * `invalid:pdf_timeout`, `invalid:pdf_out_of_memory`, or an "internal"
   * error when the file cannot be read or the child cannot start.
   */
  extract(
    filePath: string,
    onProgress?: (pagesDone: number, pageCount: number) => void,
  ): Promise<ExtractedDocument>;
  /**
   * Fails the document in progress at once (`unavailable:pdf_extractor`) and stops the child;
   * resolves when no child is left. Later calls to `extract` fail.
   */
  dispose(): Promise<void>;
  /** Process id of the running child, or null before the first document and after a kill. */
  readonly childProcessId: number | null;
}

export const pdfExtractorOptionsSchema = z
  .object({
    /**
     * Wall-clock budget per document, from request to last page; a fresh child's start-up
     * (~1 s: tsx + pdf.js) is not counted. @default 120000
     */
    timeoutMs: z.number().int().positive().default(120_000),
    /**
     * V8 heap cap of the child (`--max-old-space-size`). Below ~128 MB the child cannot even load
     * pdf.js through tsx. Typed arrays (file bytes, decoded streams) live outside this heap.
     * @default 1024
     */
    maxMemoryMb: z.number().int().min(128).default(1024),
    /** Documents with more pages are refused before any page is parsed. @default 2000 */
    maxPages: z.number().int().positive().default(2000),
  })
  .strict();

export type PdfExtractorOptions = z.input<typeof pdfExtractorOptionsSchema>;

export function createPdfExtractor(options: PdfExtractorOptions): PdfExtractor {
  return new ChildProcessPdfExtractor(pdfExtractorOptionsSchema.parse(options));
}

/** A fresh child costs ~0.5 s (tsx + pdf.js); recycling now and then bounds any slow leak. */
const documentsPerChild = 200;

class ChildProcessPdfExtractor implements PdfExtractor {
  readonly #options: z.output<typeof pdfExtractorOptionsSchema>;
  #child: RunningChild | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #nextRequestId = 0;
  #isDisposed = false;
  /** The request in progress: its child, and a way to fail it (which kills the child). */
  #current: { child: RunningChild; cancel: (error: AppError) => void } | null = null;

  constructor(options: z.output<typeof pdfExtractorOptionsSchema>) {
    this.#options = options;
  }

  get childProcessId(): number | null {
    return this.#child?.process.pid ?? null;
  }

  extract(
    filePath: string,
    onProgress?: (pagesDone: number, pageCount: number) => void,
  ): Promise<ExtractedDocument> {
    // Serialised: pdf.js is single-threaded, and one document at a time keeps the timeout honest.
    const result = this.#queue.then(() => this.#extractNow(filePath, onProgress));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async dispose(): Promise<void> {
    this.#isDisposed = true;
    // Shutting down should not wait up to `timeoutMs` for the document in progress.
    const current = this.#current;
    current?.cancel(disposedError());
    await this.#queue;
    const child = this.#child;
    this.#child = null;
    if (child) await stopChild(child);
    // When this resolves, no child of ours is left running.
    if (current) await current.child.exited;
  }

  async #extractNow(
    filePath: string,
    onProgress: ((pagesDone: number, pageCount: number) => void) | undefined,
  ): Promise<ExtractedDocument> {
    if (this.#isDisposed) throw disposedError();
    const child = await this.#startedChild();
    const requestId = this.#nextRequestId++;
    setKeepsParentAlive(child.process, true);
    try {
      const document = await this.#runRequest(
        child,
        { type: "extract", requestId, filePath, maxPages: this.#options.maxPages },
        onProgress,
      );
      this.#countDocument(child);
      return document;
    } catch (error) {
      // A failure the child reported leaves it healthy; a timeout or crash has already replaced it.
      if (this.#child === child) this.#countDocument(child);
      throw error;
    } finally {
      setKeepsParentAlive(child.process, false);
    }
  }

  #countDocument(child: RunningChild): void {
    child.documentsDone++;
    if (child.documentsDone >= documentsPerChild && this.#child === child) {
      this.#child = null;
      void stopChild(child);
    }
  }

  async #startedChild(): Promise<RunningChild> {
    if (!this.#child) this.#child = spawnChild(this.#options.maxMemoryMb);
    const child = this.#child;
    try {
      await child.ready;
      return child;
    } catch (error) {
      if (this.#child === child) this.#child = null;
      throw error;
    }
  }

  #runRequest(
    child: RunningChild,
    request: ExtractRequest,
    onProgress: ((pagesDone: number, pageCount: number) => void) | undefined,
  ): Promise<ExtractedDocument> {
    const { timeoutMs, maxMemoryMb } = this.#options;
    return new Promise<ExtractedDocument>((resolve, reject) => {
      let opened: { pageCount: number; title: string | null } | null = null;
      const pages: ExtractedPage[] = [];
      let isSettled = false;

      const settle = (outcome: () => void) => {
        if (isSettled) return;
        isSettled = true;
        this.#current = null;
        clearTimeout(timer);
        child.process.off("message", onMessage);
        outcome();
      };
      const killAndReject = (error: unknown) =>
        settle(() => {
          this.#killChild(child);
          reject(error);
        });

      const timer = setTimeout(() => {
        killAndReject(
          new AppError("invalid:pdf_timeout", {
            message: `This PDF took longer than ${formatSeconds(timeoutMs)} to read and was skipped; it may be damaged or built to stall readers.`,
            details: { timeoutMs },
          }),
        );
      }, timeoutMs);

      const onExit = (exit: ChildExit) => {
        if (isSettled || child.isBeingStopped) return;
        if (this.#child === child) this.#child = null;
        settle(() =>
          reject(
            new AppError("invalid:pdf_out_of_memory", {
              message: `This PDF needs more memory than the reader may use (${maxMemoryMb} MB), or it crashed the reader.`,
              details: { maxMemoryMb },
              cause: new Error(
                `PDF extractor child exited (code ${exit.code}, signal ${exit.signal}): ${summarizeStderr(child.stderrTail)}`,
              ),
            }),
          ),
        );
      };
      child.exited.then(onExit).catch(() => undefined);
      this.#current = { child, cancel: killAndReject };

      const onMessage = (raw: unknown) => {
        const parsed = childMessageSchema.safeParse(raw);
        if (!parsed.success) {
          killAndReject(extractorFault(`invalid message: ${parsed.error.message.slice(0, 500)}`));
          return;
        }
        const message = parsed.data;
        if (message.type === "ready" || message.requestId !== request.requestId) return;
        switch (message.type) {
          case "opened":
            opened = { pageCount: message.pageCount, title: message.title };
            return;
          case "page": {
            if (!opened || message.page.pageNumber !== pages.length + 1) {
              killAndReject(extractorFault(`unexpected page ${message.page.pageNumber}`));
              return;
            }
            pages.push(message.page);
            try {
              onProgress?.(pages.length, opened.pageCount);
            } catch (error) {
              killAndReject(error);
            }
            return;
          }
          case "done": {
            if (!opened || pages.length !== opened.pageCount) {
              killAndReject(extractorFault(`done after ${pages.length} of ${opened?.pageCount} pages`));
              return;
            }
            const document: ExtractedDocument = { pageCount: opened.pageCount, title: opened.title, pages };
            settle(() => resolve(document));
            return;
          }
          case "failed":
            settle(() => reject(failureToError(message, this.#options)));
            return;
        }
      };
      child.process.on("message", onMessage);
      child.process.send(request, (error) => {
        if (error) killAndReject(extractorFault(`could not send the request: ${error.message}`));
      });
    });
  }

  #killChild(child: RunningChild): void {
    child.isBeingStopped = true;
    if (this.#child === child) this.#child = null;
    child.process.kill("SIGKILL");
  }
}

function failureToError(
  failure: Extract<ChildMessage, { type: "failed" }>,
  options: z.output<typeof pdfExtractorOptionsSchema>,
): AppError {
  const cause = new Error(failure.detail);
  switch (failure.reason) {
    case "encrypted":
      return new AppError("invalid:pdf_encrypted", {
        message: "This PDF is password-protected; upload a copy without a password.",
        cause,
      });
    case "empty":
      // Same code as any unreadable file: callers need one "broken file" case, users a clear message.
      return new AppError("invalid:pdf_malformed", {
        message: "This PDF file is empty (0 bytes).",
        cause,
      });
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
        message: `This PDF needs more memory than the reader may use (${options.maxMemoryMb} MB).`,
        details: { maxMemoryMb: options.maxMemoryMb },
        cause,
      });
    case "internal":
      return extractorFault(`child failed: ${failure.detail}`);
    case "unreadable_file":
      return new AppError("internal:unreadable_file", {
        message: "The stored file could not be read.",
        cause,
      });
  }
}

function disposedError(): AppError {
  return new AppError("unavailable:pdf_extractor", {
    message: "The PDF extractor has been shut down.",
  });
}

/** A fault of the extractor itself (broken protocol, a bug in the child), not of the file. */
function extractorFault(detail: string): AppError {
  return new AppError("internal:pdf_extractor", {
    message: "The PDF reader failed unexpectedly.",
    cause: new Error(`PDF extractor: ${detail}`),
  });
}

function formatSeconds(milliseconds: number): string {
  return milliseconds >= 1000 ? `${Math.round(milliseconds / 100) / 10} s` : `${milliseconds} ms`;
}
