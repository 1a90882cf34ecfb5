import { createRequire } from "node:module";
import type {
  ChildRequest,
  CompleteResult,
  FormatResult,
  LoadOptions,
  NativeMessage,
  TokenizeResult,
} from "./llama-node-protocol";
import { sendToParent, serveModelRequests } from "./model-child-protocol";

/**
 * The process that runs `@fugood/llama.node` for `llama-node-generator.ts`, so that what the
 * binding does wrong stays here: llama.cpp aborts or segfaults on a malformed projector, the binding
 * prints every prompt (document text included) to stdout and stderr with no way to turn that off,
 * and its completion slot can stay marked busy for ever. The server pipes this process's output
 * away, restarts it when it dies, and talks to it over IPC (`llama-node-protocol.ts`).
 */

/*
 * The subset of the binding used here. Its package ships TypeScript sources instead of
 * declarations (they fail this project's strict checks) and a CommonJS entry that tsx mis-imports
 * statically, so it is loaded with `require` and typed by hand.
 */
interface NativeContext {
  initMultimodal(options: { path: string; use_gpu: boolean }): boolean;
  releaseMultimodal(): void;
  getFormattedChat(
    messages: NativeMessage[],
    template: undefined,
    params: { jinja: boolean; enable_thinking: boolean; add_generation_prompt: boolean },
  ): { prompt: string; additional_stops?: string[] };
  tokenize(
    text: string,
    options?: { media_paths?: string[] },
  ): Promise<{ tokens: Int32Array; chunk_pos_media: number[] }>;
  completion(
    options: Record<string, unknown>,
    onToken?: (token: { token: string }) => void,
  ): Promise<{
    text: string;
    tokens_evaluated: number;
    tokens_predicted: number;
    context_full: boolean;
    timings: { prompt_n: number };
  }>;
  stopCompletion(): void;
  release(): Promise<void>;
}
interface LlamaNodeBinding {
  loadModel(options: Record<string, unknown>): Promise<NativeContext>;
}

const binding = createRequire(import.meta.url)("@fugood/llama.node") as LlamaNodeBinding;

let loadOptions: LoadOptions | undefined;
let native: NativeContext | undefined;
/** Set while a stuck context is being replaced: new work waits for the fresh one. */
let reloading: Promise<void> | undefined;
let runningCompletionId: number | undefined;
/** Tokenizations in flight (counting is not serialized with generation): freeing waits for them. */
const tokenizations = new Set<Promise<unknown>>();

async function load(options: LoadOptions): Promise<NativeContext> {
  const context = await binding.loadModel({
    model: options.modelPath,
    n_ctx: options.contextTokens,
    n_threads: options.threads,
    n_gpu_layers: 0,
    n_parallel: 1,
    // A prompt is refused when too long, never shifted out of the window.
    ctx_shift: false,
    // Keep the weights in the mapped file (whose pages the text generator maps too) instead of
    // copying them into repacked CPU buffers: slower prompt reading, one copy in memory.
    no_extra_bufts: true,
  });
  try {
    context.initMultimodal({ path: options.projectorPath, use_gpu: false });
  } catch (error) {
    await context.release();
    throw error;
  }
  return context;
}

/** The current context, once any replacement under way is done. */
async function current(): Promise<NativeContext> {
  while (reloading) await reloading;
  if (!native) throw new Error("no model is loaded");
  return native;
}

/**
 * Starts a tokenization on the current context in the same turn as the check that no replacement
 * is under way, so that a replacement sees every tokenization still running on the old context.
 */
async function tokenize(text: string, media: string[] | undefined) {
  if (reloading || !native) {
    await current();
    return tokenize(text, media);
  }
  const pending = native.tokenize(text, media ? { media_paths: media } : undefined);
  tokenizations.add(pending);
  return pending.finally(() => tokenizations.delete(pending));
}

/**
 * Whether the completion slot is stuck busy. The binding registers its "done" hook after queueing
 * the work, so a completion that ends first (or ends in an error) leaves the slot marked busy.
 * `completion({ prompt: "" })` throws at once without starting anything: "Another completion is in
 * progress" when stuck, "Prompt is required" when free.
 */
function isStuck(context: NativeContext): boolean {
  try {
    void context.completion({ prompt: "" }).catch(() => undefined);
    return false;
  } catch (error) {
    return error instanceof Error && error.message.includes("Another completion is in progress");
  }
}

/**
 * Replaces a stuck context. The stuck one is never `release()`d (that would write through the
 * binding's dangling pointer to the finished work): its projector is freed, the rest is left to
 * the garbage collector, asked to run at once (the child runs with `--expose-gc`).
 */
async function replaceIfStuck(): Promise<boolean> {
  const context = native;
  const options = loadOptions;
  if (!context || !options || !isStuck(context)) return false;
  reloading = (async () => {
    await Promise.allSettled([...tokenizations]);
    context.releaseMultimodal();
    native = undefined;
    (globalThis as { gc?: () => void }).gc?.();
    native = await load(options);
  })();
  try {
    await reloading;
  } catch (error) {
    // Nothing left to serve with: the server starts a fresh process on its next request.
    console.error(
      `error: reloading the model failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(70);
  } finally {
    reloading = undefined;
  }
  return true;
}

async function complete(id: number, options: Record<string, unknown>): Promise<CompleteResult> {
  const context = await current();
  // The window is kept between answers, as the text backend keeps its sequence: llama.cpp reads
  // the prompt only from the first token (or image, by its hash) that differs from what it holds.
  runningCompletionId = id;
  try {
    const result = await context.completion(options, ({ token }) => {
      if (token !== "") sendToParent({ type: "token", id, token });
    });
    return {
      text: result.text,
      promptTokens: result.tokens_evaluated - result.tokens_predicted,
      computedPromptTokens: result.timings.prompt_n,
      generatedTokens: result.tokens_predicted,
      contextFull: result.context_full,
      wasReloaded: false,
    };
  } finally {
    runningCompletionId = undefined;
  }
}

async function handle(request: ChildRequest): Promise<unknown> {
  switch (request.type) {
    case "load":
      loadOptions = request.options;
      native = await load(request.options);
      return null;
    case "format": {
      const formatted = (await current()).getFormattedChat(request.messages, undefined, {
        jinja: true,
        // Only the answer is generated: thought tokens would cost minutes on a CPU.
        enable_thinking: false,
        add_generation_prompt: true,
      });
      return { prompt: formatted.prompt, stops: formatted.additional_stops ?? [] } satisfies FormatResult;
    }
    case "tokenize": {
      const result = await tokenize(request.text, request.media);
      return {
        tokenCount: result.tokens.length,
        mediaPositions: [...(result.chunk_pos_media ?? [])],
      } satisfies TokenizeResult;
    }
    case "complete": {
      let result: CompleteResult | undefined;
      try {
        result = await complete(request.id, request.options);
      } finally {
        const wasReloaded = await replaceIfStuck();
        if (result) result.wasReloaded = wasReloaded;
      }
      return result;
    }
    case "stop":
      if (runningCompletionId === request.id) native?.stopCompletion();
      return null;
    case "release":
      while (reloading) await reloading.catch(() => undefined);
      await Promise.allSettled([...tokenizations]);
      if (native && !isStuck(native)) await native.release();
      native = undefined;
      return null;
  }
}

serveModelRequests<ChildRequest>(handle);
