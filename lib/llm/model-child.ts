import { type ChildProcess, spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import { AppError } from "../errors";
import type { ModelChildMessage, ModelChildRequest } from "./model-child-protocol";

/*
 * The supervision shared by the model child processes (the text model's `llama-cpp-child.ts`, the
 * vision model's `llama-node-child.ts`): start one with a bare environment, keep the tail of its
 * output to explain a failure, fail the requests in flight when it dies, stop a request that
 * ignores its stop by killing the process, and refuse to start a model again and again that keeps
 * crashing (`RestartBudget`). Native code that aborts or segfaults takes only its child down.
 */

const outputTailCharacters = 16_000;
const releaseTimeoutMs = 10_000;

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ModelChildProgram {
  /** The `.ts` program, run by tsx (resolved from the working directory: it is in no bundle). */
  childPath: string;
  /** Node flags before the program, e.g. `--expose-gc`. */
  nodeArguments?: string[];
  /** The error the requests in flight (and later ones to this process) fail with once it died. */
  describeExit: (exit: ChildExit, reason: string | undefined) => Error;
}

/** How a process ended, in words: `crashed (SIGSEGV)`, `stopped (exit code 70)`. */
export function describeHow(exit: ChildExit): string {
  return exit.signal ? `crashed (${exit.signal})` : `stopped (exit code ${exit.code})`;
}

/** The last lines of llama.cpp's output that say what went wrong. */
export function failureReason(output: string): string | undefined {
  const lines = output
    .split("\n")
    .map((line) => line.trim())
    .filter((line) =>
      /error|fail|mismatch|unknown|invalid|assert|missing|abort|terminate|exception|what\(\)/i.test(line),
    );
  const reason = lines.slice(-3).join(" / ");
  return reason === "" ? undefined : reason.slice(0, 600);
}

/** A request without its id, which `ModelChild` assigns. */
export type RequestBody<Request> = Request extends ModelChildRequest ? Omit<Request, "id"> : never;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  onToken: ((token: string) => void) | undefined;
}

/**
 * One child process and the requests in flight to it. Its output is kept (the last few KB, only to
 * explain a failure) and never shown: a binding may print prompts. The child holds the event loop
 * only while a request is in flight, so a CLI or a test ends when its work is done.
 */
export class ModelChild<Request extends ModelChildRequest> {
  hasExited = false;
  /** Whether `close()` ended it (not a crash, not a kill). */
  isClosing = false;
  readonly pid: number | undefined;
  /** Resolves with how the process ended. */
  readonly exited: Promise<ChildExit>;
  private exit: ChildExit | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private output = "";

  constructor(
    private readonly child: ChildProcess,
    private readonly program: ModelChildProgram,
  ) {
    this.pid = child.pid;
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString("utf8")).slice(-outputTailCharacters);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.on("message", (message: ModelChildMessage) => this.receive(message));
    this.exited = new Promise((resolve) => {
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.hasExited) return;
        this.hasExited = true;
        this.exit = { code, signal };
        const error = this.exitError();
        for (const pending of this.pending.values()) pending.reject(error);
        this.pending.clear();
        resolve(this.exit);
      };
      child.once("exit", onExit);
      // A failed spawn, or a message sent just as the child died: the same as its exit. The
      // listener stays, so that a second such error is not an unhandled one.
      child.on("error", () => onExit(null, null));
    });
    this.holdEventLoop(false);
  }

  /** Sends a request; `onToken` receives a generation's pieces before the reply. */
  start<T>(body: RequestBody<Request>, onToken?: (token: string) => void): { id: number; reply: Promise<T> } {
    const id = this.nextId++;
    const reply = new Promise<T>((resolve, reject) => {
      if (this.hasExited) {
        reject(this.exitError());
        return;
      }
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, onToken });
      this.holdEventLoop(true);
      this.child.send({ ...body, id });
    });
    return { id, reply };
  }

  request<T>(body: RequestBody<Request>): Promise<T> {
    return this.start<T>(body).reply;
  }

  /** Asks the child to stop request `id` (its reply follows). */
  stop(id: number): void {
    if (!this.hasExited && this.pending.has(id)) this.child.send({ type: "stop", id });
  }

  /** What the child printed last, when it failed. */
  reason(): string | undefined {
    return failureReason(this.output);
  }

  /** Frees the model and ends the process (killed if it does not end in time). */
  async close(): Promise<void> {
    if (this.hasExited) return;
    this.isClosing = true;
    const timer = setTimeout(() => this.child.kill("SIGKILL"), releaseTimeoutMs);
    await this.request({ type: "release" } as RequestBody<Request>).catch(() => undefined);
    if (!this.hasExited) this.child.kill("SIGTERM");
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.hasExited) this.child.kill("SIGKILL");
  }

  private exitError(): Error {
    return this.program.describeExit(this.exit ?? { code: null, signal: null }, this.reason());
  }

  private receive(message: ModelChildMessage): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.type === "token") {
      pending.onToken?.(message.token);
      return;
    }
    this.pending.delete(message.id);
    if (this.pending.size === 0) this.holdEventLoop(false);
    if ("error" in message) {
      pending.reject(
        message.code ? new AppError(message.code, { message: message.error }) : new Error(message.error),
      );
    } else pending.resolve(message.value);
  }

  private holdEventLoop(isHeld: boolean): void {
    const handles = [this.child, this.child.channel, this.child.stdout, this.child.stderr] as Array<
      { ref?: () => void; unref?: () => void } | null | undefined
    >;
    for (const handle of handles) {
      if (isHeld) handle?.ref?.();
      else handle?.unref?.();
    }
  }
}

/** Starts `program` in a child process through tsx, with an environment that holds no secrets. */
export function startModelChild<Request extends ModelChildRequest>(
  program: ModelChildProgram,
): ModelChild<Request> {
  return new ModelChild<Request>(
    spawn(
      process.execPath,
      // turbopackIgnore: the child is a file run by Node, not a module for the bundle to resolve.
      [...(program.nodeArguments ?? []), "--import", "tsx", /*turbopackIgnore: true*/ program.childPath],
      {
        stdio: ["ignore", "pipe", "pipe", "ipc"],
        // The model needs no secrets (database URLs, tokens): the child gets a bare environment.
        env: { NODE_ENV: "production", PATH: process.env.PATH ?? "/usr/bin:/bin" },
        serialization: "json",
      },
    ),
    program,
  );
}

/**
 * Waits for a stopped request to settle; a binding that ignores the stop (a hung native call) has
 * its process killed, which rejects the request — a lock held around it is never held for good.
 * The next request starts a new process.
 */
export async function settledOrKilled(
  settled: Promise<void> | undefined,
  child: { kill(): void } | undefined,
  stopGraceMs: number,
  label: string,
): Promise<void> {
  if (!settled) return;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), stopGraceMs);
  });
  try {
    if ((await Promise.race([settled.then(() => "settled" as const), deadline])) === "late") {
      console.error(`[${label}] the model did not stop within ${stopGraceMs} ms; its process is killed`);
      child?.kill();
      await settled;
    }
  } finally {
    clearTimeout(timer);
  }
}

export interface RestartLimits {
  /** Failed starts and crashes tolerated within `windowMs`. @default 3 */
  maxFailures: number;
  /** @default 60_000 */
  windowMs: number;
}

export const defaultRestartLimits: RestartLimits = { maxFailures: 3, windowMs: 60_000 };

/**
 * Failed starts and crashes of one model's process. Once `maxFailures` fall within `windowMs`, the
 * model is not started again until the oldest of them leaves the window: a model that crashes as it
 * loads (or on every question) reports why instead of spawning a process per request.
 */
export class RestartBudget {
  private failures: Array<{ atMs: number; reason: string }> = [];

  constructor(readonly limits: RestartLimits = defaultRestartLimits) {}

  record(reason: string): void {
    this.failures.push({ atMs: Date.now(), reason });
    this.failures = this.recent();
  }

  /** Throws `unavailable:generator_load_failed`, naming the last failure, while the budget is spent. */
  assertCanStart(what: string): void {
    const recent = this.recent();
    const [oldest] = recent;
    const last = recent.at(-1);
    if (recent.length < this.limits.maxFailures || !oldest || !last) return;
    const retryAfterSeconds = Math.max(
      1,
      Math.ceil((oldest.atMs + this.limits.windowMs - Date.now()) / 1000),
    );
    throw new AppError("unavailable:generator_load_failed", {
      message:
        `${what} failed ${recent.length} times within ${Math.round(this.limits.windowMs / 1000)} s ` +
        `(last: ${last.reason}); it is not started again for ${retryAfterSeconds} s.`,
      retryAfterSeconds,
    });
  }

  private recent(): Array<{ atMs: number; reason: string }> {
    const since = Date.now() - this.limits.windowMs;
    return this.failures.filter((failure) => failure.atMs > since).slice(-this.limits.maxFailures);
  }
}

const budgets = new Map<string, RestartBudget>();

/**
 * The budget of the model made of `files`, shared by every generator of this process that loads
 * them (`createFolio` loads again after a failed load). Keyed by path, size and modification time:
 * a model file replaced by a good one starts with a fresh budget.
 */
export async function restartBudgetFor(
  files: readonly string[],
  limits: RestartLimits = defaultRestartLimits,
): Promise<RestartBudget> {
  const identities = await Promise.all(
    files.map(async (filePath) => {
      const stats = await stat(filePath).catch(() => undefined);
      return `${filePath}:${stats?.size}:${stats?.mtimeMs}`;
    }),
  );
  const key = `${identities.join("+")}|${limits.maxFailures}/${limits.windowMs}`;
  let budget = budgets.get(key);
  if (!budget) {
    budget = new RestartBudget(limits);
    budgets.set(key, budget);
  }
  return budget;
}
