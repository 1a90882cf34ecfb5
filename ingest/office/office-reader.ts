import path from "node:path";
import { z } from "zod";
import { AppError } from "../../lib/errors";
import {
  type RunningChild,
  setKeepsParentAlive,
  spawnChild,
  stopChild,
  summarizeStderr,
} from "../pdf/pdf-child-process";
import type { DocumentPages } from "../read/document-reader";
import type { ExtractedPage } from "../types";
import { type OfficeChildMessage, officeChildMessageSchema } from "./office-protocol";

export const officeReaderOptionsSchema = z
  .object({
    /** Wall-clock budget of one document, start-up included. @default 1800000 */
    timeoutMs: z.number().int().positive().default(1_800_000),
    /** V8 heap cap of the converter process (`--max-old-space-size`). @default 1024 */
    maxMemoryMb: z.number().int().min(128).default(1024),
    /** Room above the heap for native memory and reserved address space (RLIMIT_DATA). @default 2048 */
    nativeMemoryMb: z.number().int().min(64).default(2048),
    /** Uncompressed size of a package's parts, as declared; larger packages are refused unread. @default 209715200 */
    maxUncompressedBytes: z
      .number()
      .int()
      .positive()
      .default(200 * 1024 * 1024),
  })
  .strict();
export type OfficeReaderOptions = z.input<typeof officeReaderOptionsSchema>;

export interface OfficeReader {
  /**
   * Reads a .docx/.pptx/.xlsx (or macro-enabled) file in a child process of its own. Fails with
   * the typed errors of safe-archive.ts and the readers, `invalid:office_timeout`,
   * `invalid:office_out_of_memory`, or `unavailable:office_reader` when no child can start.
   */
  read(input: { filePath: string; mediaType: string }): Promise<DocumentPages & { hasMacros: boolean }>;
  /** Process ids of the converters running now. */
  readonly childProcessIds: number[];
  /** Stops every converter; documents being read fail. */
  dispose(): Promise<void>;
}

/** Resolved from the working directory, as the PDF child is (see resolveExtractorChildPath). */
export function resolveOfficeChildPath(): string {
  return path.join(process.cwd(), "ingest", "office", "office-child.ts");
}

/**
 * Office files are converted in a fresh child process each (mammoth and exceljs build whole
 * documents in memory; a hostile file that makes them exhaust it or loop must not take the
 * server with it): V8's heap and the OS data segment capped, a bare environment, a time budget.
 * A child costs ~0.5 s to start; Office files are few next to their reading time.
 */
export function createOfficeReader(options: OfficeReaderOptions = {}): OfficeReader {
  const settings = officeReaderOptionsSchema.parse(options);
  const running = new Set<RunningChild>();
  let isDisposed = false;
  return {
    read: async (input) => {
      if (isDisposed)
        throw new AppError("unavailable:office_reader", { message: "The Office reader was stopped." });
      const child = spawnChild(
        { heapMb: settings.maxMemoryMb, nativeMb: settings.nativeMemoryMb },
        {
          path: resolveOfficeChildPath(),
          startError: (cause) =>
            new AppError("unavailable:office_reader", {
              message: "The Office document reader could not start.",
              cause,
            }),
        },
      );
      running.add(child);
      let stopped: Promise<void> | null = null;
      const finish = () => {
        running.delete(child);
        stopped ??= stopChild(child);
        return stopped;
      };
      try {
        return await readInChild(child, input, settings, finish);
      } catch (error) {
        await finish();
        throw error;
      }
    },
    get childProcessIds() {
      return [...running].flatMap((child) => (child.process.pid === undefined ? [] : [child.process.pid]));
    },
    dispose: async () => {
      isDisposed = true;
      await Promise.all([...running].map((child) => stopChild(child)));
      running.clear();
    },
  };
}

type Settings = z.output<typeof officeReaderOptionsSchema>;

async function readInChild(
  child: RunningChild,
  input: { filePath: string; mediaType: string },
  settings: Settings,
  finish: () => Promise<void>,
): Promise<DocumentPages & { hasMacros: boolean }> {
  // Once every page is here the child has nothing left to do: it stops even if the pages are never read.
  const queue = createMessageQueue(child, settings.timeoutMs, () => void finish());
  let opened: OfficeChildMessage;
  try {
    await child.ready;
    setKeepsParentAlive(child.process, true);
    child.process.send({
      type: "read",
      filePath: input.filePath,
      mediaType: input.mediaType,
      maxUncompressedBytes: settings.maxUncompressedBytes,
    });
    opened = await queue.next();
    if (opened.type !== "opened") throw unexpected(opened);
  } catch (error) {
    queue.close();
    // A child killed for its time budget during start-up also fails its start: the budget is the reason.
    throw queue.failure ?? error;
  }
  async function* pages(): AsyncGenerator<ExtractedPage> {
    try {
      for (;;) {
        const message = await queue.next();
        if (message.type === "done") return;
        if (message.type !== "page") throw unexpected(message);
        yield message.page as ExtractedPage;
      }
    } finally {
      queue.close();
      await finish();
    }
  }
  return { pageCount: opened.pageCount, title: opened.title, hasMacros: opened.hasMacros, pages: pages() };
}

function unexpected(message: OfficeChildMessage): AppError {
  if (message.type === "failed") return new AppError(message.code, { message: message.message });
  return new AppError("internal:office_reader", {
    message: `The Office reader sent "${message.type}" out of turn.`,
  });
}

/** The child's messages in order; a crash, an invalid message or the time budget ends it with an error. */
function createMessageQueue(child: RunningChild, timeoutMs: number, onDone: () => void) {
  const messages: OfficeChildMessage[] = [];
  let failure: AppError | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const fail = (error: AppError) => {
    failure ??= error;
    notify();
  };
  const onMessage = (raw: unknown) => {
    const parsed = officeChildMessageSchema.safeParse(raw);
    if (!parsed.success) {
      fail(
        new AppError("internal:office_reader", {
          message: "The Office reader sent an invalid message.",
          cause: parsed.error,
        }),
      );
      child.process.kill("SIGKILL");
      return;
    }
    if (parsed.data.type === "ready") return;
    messages.push(parsed.data);
    if (parsed.data.type === "done") onDone();
    notify();
  };
  child.process.on("message", onMessage);
  const timer = setTimeout(() => {
    fail(
      new AppError("invalid:office_timeout", {
        message: `Reading the document took longer than ${Math.round(timeoutMs / 1000)} s (PARSE_TIMEOUT_MS); it was stopped.`,
      }),
    );
    child.isBeingStopped = true;
    child.process.kill("SIGKILL");
  }, timeoutMs);
  // The busy child keeps the process alive; the timer alone must not.
  timer.unref();
  void child.exited.then((exit) => {
    if (child.isBeingStopped) return;
    const stderr = summarizeStderr(child.stderrTail);
    const isOutOfMemory =
      /heap out of memory|Allocation failed|ENOMEM|Cannot allocate memory/i.test(stderr) ||
      exit.signal === "SIGABRT" ||
      exit.signal === "SIGSEGV" ||
      exit.code === 134;
    fail(
      isOutOfMemory
        ? new AppError("invalid:office_out_of_memory", {
            message:
              "Reading the document needed more memory than allowed (PARSE_MEMORY_MB); it was stopped.",
            cause: new Error(stderr),
          })
        : new AppError("internal:office_reader", {
            message: "The Office reader stopped unexpectedly.",
            cause: new Error(`exit ${exit.code} ${exit.signal}: ${stderr}`),
          }),
    );
  });
  return {
    get failure() {
      return failure;
    },
    async next(): Promise<OfficeChildMessage> {
      for (;;) {
        const message = messages.shift();
        if (message) return message;
        if (failure) throw failure;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
    close() {
      clearTimeout(timer);
      child.process.off("message", onMessage);
    },
  };
}
