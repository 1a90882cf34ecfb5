import { stat } from "node:fs/promises";
import path from "node:path";
import { AppError, isAppError } from "../errors";
import { FifoLock } from "./fifo-lock";
import type { GenerateRequest, Generator, GeneratorCapabilities } from "./generator";
import type { LlamaCppGeneratorOptions } from "./llama-cpp-generator";
import type { GenerateResult, LlamaCppChildRequest, LoadResult } from "./llama-cpp-protocol";
import {
  type ChildExit,
  describeHow,
  type ModelChild,
  type RequestBody,
  type RestartBudget,
  type RestartLimits,
  restartBudgetFor,
  settledOrKilled,
  startModelChild,
} from "./model-child";

export interface IsolatedLlamaCppGeneratorOptions extends LlamaCppGeneratorOptions {
  /** How long loading the model may take. @default 300_000 */
  loadTimeoutMs?: number;
  /** How long a stopped generation may take to wind down before its process is killed. @default 10_000 */
  stopGraceMs?: number;
  /** Crashes tolerated before the model is left stopped for a while. @default 3 within 60 s */
  restartLimits?: RestartLimits;
}

type Child = ModelChild<LlamaCppChildRequest>;

/** The program run in the child (by path, like the PDF parser's: it is not part of any bundle). */
export function resolveLlamaCppChildPath(): string {
  return path.join(process.cwd(), "lib", "llm", "llama-cpp-child.ts");
}

function crashError(exit: ChildExit, reason: string | undefined): AppError {
  const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
  return new AppError("unavailable:generator_unreachable", {
    message: `The answering model stopped unexpectedly (${how}); it is started again for the next question — ask again.`,
    // What llama.cpp printed goes to the log, not to the user.
    cause: new Error(`The answering model's process ${describeHow(exit)}${reason ? `: ${reason}` : ""}`),
    retryAfterSeconds: 5,
  });
}

/** Starts a child and loads the model in it; a failure is counted against `budget` and names llama.cpp's reason. */
async function startChild(
  options: LlamaCppGeneratorOptions,
  timeoutMs: number,
  budget: RestartBudget,
): Promise<{ child: Child; loaded: LoadResult }> {
  const modelName = path.basename(options.modelPath);
  budget.assertCanStart(`The answering model ${modelName}`);
  const child = startModelChild<LlamaCppChildRequest>({
    childPath: resolveLlamaCppChildPath(),
    describeExit: crashError,
  });
  const timer = setTimeout(() => child.kill(), timeoutMs);
  try {
    const loaded = await child.request<LoadResult>({ type: "load", options });
    void child.exited.then((exit) => {
      if (!child.isClosing) budget.record(`its process ${describeHow(exit)}${reasonSuffix(child)}`);
    });
    return { child, loaded };
  } catch (cause) {
    child.kill();
    const exit = await child.exited;
    // The child said why (not a GGUF, no memory for the window): that error, as it is.
    if (isAppError(cause) && cause.code !== "unavailable:generator_unreachable") {
      budget.record(cause.message);
      throw cause;
    }
    const reason =
      exit.signal === "SIGKILL" && !child.reason()
        ? `it did not load within ${timeoutMs} ms`
        : `its process ${describeHow(exit)}${reasonSuffix(child)}`;
    budget.record(reason);
    throw new AppError("unavailable:generator_load_failed", {
      message: `The answering model ${options.modelPath} could not be loaded: ${reason}.`,
      cause,
    });
  } finally {
    clearTimeout(timer);
  }
}

function reasonSuffix(child: Child): string {
  const reason = child.reason();
  return reason ? `: ${reason}` : "";
}

/**
 * The node-llama-cpp answering model in a supervised child process of its own
 * (`llama-cpp-child.ts`, hosting `LlamaCppGenerator`): a native crash of llama.cpp ends that
 * process, not the web server. Generations in flight then fail with
 * `unavailable:generator_unreachable`; the next call starts a new process and loads the model again,
 * unless it keeps crashing (`RestartBudget`: then it reports why, and when it will try again).
 */
export class IsolatedLlamaCppGenerator implements Generator {
  readonly id: string;
  readonly modelSha256: string;
  readonly capabilities: GeneratorCapabilities;
  /** Times the process was started again after it died. */
  restarts = 0;
  /** What the child reported for the last generation. */
  lastGeneration: GenerateResult | undefined;
  private readonly lock = new FifoLock();
  private activeStop: (() => void) | undefined;
  private isDisposed = false;
  private readonly stopGraceMs: number;
  private child: Promise<Child>;
  private latestChild: Child | undefined;
  private pendingCounts: Array<{
    text: string;
    resolve: (count: number) => void;
    reject: (error: unknown) => void;
  }> = [];

  private constructor(
    private readonly options: LlamaCppGeneratorOptions,
    child: Child,
    private readonly loadTimeoutMs: number,
    private readonly budget: RestartBudget,
    loaded: LoadResult,
    stopGraceMs: number,
  ) {
    this.id = `llama-cpp:${path.basename(options.modelPath)}`;
    this.modelSha256 = options.modelSha256;
    this.stopGraceMs = stopGraceMs;
    this.child = Promise.resolve(child);
    this.latestChild = child;
    this.capabilities = {
      contextTokens: loaded.contextTokens,
      vision: false,
      maxImagesPerPrompt: 0,
      imageTokens: 0,
    };
  }

  /**
   * Starts the child and loads the model in it. Throws `unavailable:generator_missing` /
   * `unavailable:generator_load_failed` (with llama.cpp's reason when the process crashed).
   */
  static async create(options: IsolatedLlamaCppGeneratorOptions): Promise<IsolatedLlamaCppGenerator> {
    const { loadTimeoutMs = 300_000, stopGraceMs = 10_000, restartLimits, ...loadOptions } = options;
    const isFile = await stat(options.modelPath).then(
      (stats) => stats.isFile(),
      () => false,
    );
    if (!isFile) {
      throw new AppError("unavailable:generator_missing", {
        message: `The answering model file ${options.modelPath} is missing (or is not a file).`,
      });
    }
    const budget = await restartBudgetFor([options.modelPath], restartLimits);
    const { child, loaded } = await startChild(loadOptions, loadTimeoutMs, budget);
    return new IsolatedLlamaCppGenerator(loadOptions, child, loadTimeoutMs, budget, loaded, stopGraceMs);
  }

  /** The process id of the running child, if one runs. */
  get childPid(): number | undefined {
    return this.latestChild && !this.latestChild.hasExited ? this.latestChild.pid : undefined;
  }

  /**
   * Counts called in the same turn (a prompt packer counting its sources with `Promise.all`) go to
   * the child as one request.
   */
  countTokens(text: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.pendingCounts.push({ text, resolve, reject });
      if (this.pendingCounts.length === 1) queueMicrotask(() => void this.flushCounts());
    });
  }

  async countPromptTokens(request: Pick<GenerateRequest, "system" | "messages">): Promise<number> {
    return this.countRequest<number>({
      type: "countPrompt",
      prompt: { system: request.system, messages: request.messages },
    });
  }

  /**
   * Streams text pieces; calls are served one at a time in arrival order. Aborting `request.signal`
   * (queued or generating) stops the child's generation and makes the iteration throw
   * `signal.reason`; leaving the loop early stops it too. If the process dies meanwhile, the
   * iteration throws `unavailable:generator_unreachable`.
   */
  async *generate(request: GenerateRequest): AsyncGenerator<string, void, undefined> {
    this.assertUsable();
    const release = await this.lock.acquire(request.signal);
    let child: Child | undefined;
    let generation: { id: number; reply: Promise<GenerateResult> } | undefined;
    let settled: Promise<void> | undefined;
    let isSettled = false;
    let wake: (() => void) | undefined;
    const stop = () => {
      if (child && generation && !isSettled) child.stop(generation.id);
      wake?.();
    };
    request.signal?.addEventListener("abort", stop, { once: true });
    this.activeStop = stop;
    try {
      child = await this.runningChild();
      request.signal?.throwIfAborted();
      const pieces: string[] = [];
      let failure: { error: unknown } | undefined;
      const { signal: _signal, ...body } = request;
      generation = child.start<GenerateResult>({ type: "generate", request: body }, (token) => {
        if (isSettled) return;
        pieces.push(token);
        wake?.();
      });
      settled = generation.reply
        .then(
          (result) => {
            this.lastGeneration = result;
          },
          (error: unknown) => {
            failure = { error };
          },
        )
        .finally(() => {
          isSettled = true;
          wake?.();
        });
      while (true) {
        const piece = pieces.shift();
        if (piece !== undefined) {
          yield piece;
          continue;
        }
        if (isSettled || request.signal?.aborted) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
      request.signal?.throwIfAborted();
      if (failure) {
        this.assertUsable();
        throw failure.error;
      }
    } finally {
      stop();
      await settledOrKilled(settled, child, this.stopGraceMs, "generator");
      request.signal?.removeEventListener("abort", stop);
      this.activeStop = undefined;
      release();
    }
  }

  /** Stops a running generation, then frees the model and ends the child process. */
  async dispose(): Promise<void> {
    if (this.isDisposed) return;
    this.isDisposed = true;
    this.activeStop?.();
    const release = await this.lock.acquire();
    try {
      const child = await this.child.catch(() => undefined);
      await child?.close();
    } finally {
      release();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  private async flushCounts(): Promise<void> {
    const batch = this.pendingCounts;
    this.pendingCounts = [];
    try {
      const counts = await this.countRequest<number[]>({
        type: "count",
        texts: batch.map(({ text }) => text),
      });
      batch.forEach(({ resolve }, index) => {
        resolve(counts[index] ?? 0);
      });
    } catch (error) {
      for (const { reject } of batch) reject(error);
    }
  }

  /**
   * A count, asked again once of a new process if the child was found dead: a process that died
   * while idle may not have been reaped yet when the request went out, and counting has no effects.
   */
  private async countRequest<T>(body: RequestBody<LlamaCppChildRequest>): Promise<T> {
    const child = await this.runningChild();
    try {
      return await child.request<T>(body);
    } catch (error) {
      if (!child.hasExited || this.isDisposed) throw error;
      return (await this.runningChild()).request<T>(body);
    }
  }

  /** The child, started again (and the model reloaded) if it died — unless it keeps dying. */
  private async runningChild(): Promise<Child> {
    this.assertUsable();
    const current = this.child;
    const child = await current.catch(() => undefined);
    if (child && !child.hasExited) return child;
    // Another caller may already have started the replacement.
    if (this.child !== current) return this.runningChild();
    this.restarts += 1;
    this.child = startChild(this.options, this.loadTimeoutMs, this.budget).then(({ child: started }) => {
      this.latestChild = started;
      return started;
    });
    return this.child;
  }

  private assertUsable(): void {
    if (this.isDisposed) {
      throw new AppError("unavailable:generator_disposed", { message: "The generator was disposed." });
    }
  }
}
