import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { AppError } from "../../lib/errors";
import { childMessageSchema } from "./pdf-protocol";

/*
 * Lifecycle of the pdf.js child process (pdf-child.ts): start it with a memory cap and a
 * bare environment, wait for "ready", keep the tail of its stderr to explain crashes, and stop it.
 * What the child is asked to do, and when it is recycled or killed, is pdf-process-pool.ts's business.
 */

/**
 * The child script, resolved from the working directory: Folio always runs from its project
 * directory, and this module may be bundled by Next.js, where `import.meta.url` does not point at
 * the source tree. The child runs through tsx, so it is the `.ts` source itself.
 */
export function resolveExtractorChildPath(): string {
  return path.join(process.cwd(), "ingest", "pdf", "pdf-child.ts");
}

const childStartTimeoutMs = 30_000;
const childStopGraceMs = 2_000;
const stderrTailBytes = 4_096;
const stderrDrainMs = 500;

export interface RunningChild {
  process: ChildProcess;
  ready: Promise<void>;
  exited: Promise<ChildExit>;
  /** Whether the child's exit was our doing (timeout, recycle, dispose) rather than a crash. */
  isBeingStopped: boolean;
  documentsDone: number;
  stderrTail: string;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** util-linux's `prlimit`, which sets a resource limit and runs the command under it. */
const prlimitPath = ["/usr/bin/prlimit", "/bin/prlimit"].find((candidate) => existsSync(candidate)) ?? null;

/**
 * Starts a child with V8's heap capped at `heapMb`, and its whole data segment (heap, native
 * allocations of the canvas and of pdf.js's wasm decoders) capped by the operating system at
 * `heapMb + nativeMb` (RLIMIT_DATA through `prlimit`, where the machine has it).
 */
export function spawnChild(
  memory: { heapMb: number; nativeMb: number },
  /** Another child script (the Office reader's), and the error a failed start becomes. */
  script?: { path: string; startError: (cause: Error) => AppError },
): RunningChild {
  const nodeArguments = [
    "--import",
    "tsx",
    `--max-old-space-size=${memory.heapMb}`,
    // turbopackIgnore: the child is a file run by Node, not a module for the bundle to resolve.
    /*turbopackIgnore: true*/ script?.path ?? resolveExtractorChildPath(),
  ];
  const dataLimitBytes = (memory.heapMb + memory.nativeMb) * 1024 * 1024;
  const [command, commandArguments] = prlimitPath
    ? [prlimitPath, [`--data=${dataLimitBytes}`, process.execPath, ...nodeArguments]]
    : [process.execPath, nodeArguments];
  const childProcess = spawn(command, commandArguments, {
    // stderr is kept (last few KB) to explain crashes; stdout is unused.
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    // The parser needs no secrets (database URLs, tokens): it gets a bare environment.
    env: { NODE_ENV: "production", PATH: process.env.PATH ?? "/usr/bin:/bin" },
    serialization: "json",
  });
  const exited = new Promise<ChildExit>((resolve) => {
    childProcess.once("exit", (code, signal) => {
      // stderr may still hold the child's last words (V8's out-of-memory report): let it drain.
      // (The "close" event would wait for that, but with an IPC channel it may never come.)
      const stderr = childProcess.stderr;
      if (!stderr || stderr.destroyed) {
        resolve({ code, signal });
        return;
      }
      const done = () => {
        clearTimeout(timer);
        resolve({ code, signal });
      };
      const timer = setTimeout(done, stderrDrainMs);
      stderr.once("close", done);
    });
    childProcess.once("error", () => resolve({ code: null, signal: null }));
  });
  const child: RunningChild = {
    process: childProcess,
    exited,
    ready: Promise.resolve(),
    isBeingStopped: false,
    documentsDone: 0,
    stderrTail: "",
  };
  childProcess.stderr?.setEncoding("utf8");
  childProcess.stderr?.on("data", (chunk: string) => {
    child.stderrTail = (child.stderrTail + chunk).slice(-stderrTailBytes);
  });
  child.ready = new Promise<void>((resolve, reject) => {
    let isReady = false;
    const failStart = (reason: string) => {
      if (isReady) return;
      clearTimeout(timer);
      childProcess.off("message", onReady);
      child.isBeingStopped = true;
      childProcess.kill("SIGKILL");
      const cause = new Error(`${reason}: ${summarizeStderr(child.stderrTail)}`);
      reject(
        script
          ? script.startError(cause)
          : new AppError("unavailable:pdf_extractor", { message: "The PDF reader could not start.", cause }),
      );
    };
    const timer = setTimeout(
      () => failStart(`no ready message within ${childStartTimeoutMs} ms`),
      childStartTimeoutMs,
    );
    const onReady = (raw: unknown) => {
      if (childMessageSchema.safeParse(raw).data?.type !== "ready") return;
      isReady = true;
      clearTimeout(timer);
      childProcess.off("message", onReady);
      resolve();
    };
    childProcess.on("message", onReady);
    exited.then((exit) => failStart(`exited during start (code ${exit.code}, signal ${exit.signal})`));
  });
  // Nobody may be waiting on `ready` when start fails during dispose.
  child.ready.catch(() => undefined);
  setKeepsParentAlive(childProcess, false);
  return child;
}

/**
 * An idle child must not keep the parent alive (a CLI that forgets `dispose()` still exits);
 * a busy one must, or the parent could exit with a document half read.
 */
export function setKeepsParentAlive(childProcess: ChildProcess, keepsAlive: boolean): void {
  // stderr is a net.Socket at runtime (it has ref/unref); the typings only say Readable.
  const stderr = childProcess.stderr as unknown as { ref(): void; unref(): void } | null;
  const handles = [childProcess, childProcess.channel, stderr];
  for (const handle of handles) {
    if (!handle) continue;
    if (keepsAlive) handle.ref();
    else handle.unref();
  }
}

export async function stopChild(child: RunningChild): Promise<void> {
  child.isBeingStopped = true;
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  // Closing the IPC channel lets an idle child exit on its own; SIGKILL if it does not.
  child.process.disconnect();
  const timer = setTimeout(() => child.process.kill("SIGKILL"), childStopGraceMs);
  await child.exited;
  clearTimeout(timer);
}

/** V8's "FATAL ERROR: … heap out of memory" line says more than the native stack trace after it. */
export function summarizeStderr(stderrTail: string): string {
  const fatal = stderrTail.indexOf("FATAL ERROR");
  return (fatal >= 0 ? stderrTail.slice(fatal, fatal + 300) : stderrTail.slice(-1000)).trim();
}
