import { stat } from "node:fs/promises";
import path from "node:path";
import {
  type ChatHistoryItem,
  type ChatWrapper,
  getLlama,
  JinjaTemplateChatWrapper,
  type Llama,
  LlamaChat,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
  resolveChatWrapper,
} from "node-llama-cpp";
import { AppError } from "../errors";
import { FifoLock } from "./fifo-lock";
import {
  type GenerateRequest,
  type Generator,
  type GeneratorCapabilities,
  hasImages,
  textOf,
} from "./generator";

export interface LlamaCppGeneratorOptions {
  modelPath: string;
  /** Recorded in every audit row; not re-computed here (hashing a multi-GB file costs seconds). */
  modelSha256: string;
  /**
   * Upper bound of the context window, in tokens. Capped at the model's train context; the actual
   * size is fitted to free memory (at least min(2048, bound)) and exposed as `contextTokens`.
   */
  contextTokens: number;
  /**
   * CPU threads, both llama.cpp's process-wide maximum and the context's. Use the real core count
   * or fewer: more threads than free cores make ggml's spinning workers dozens of times slower.
   */
  threads: number;
  /**
   * `false`: CPU only. `"auto"`: CUDA/Vulkan/Metal when a prebuilt binary works on this machine.
   * @default false — answers stay bit-for-bit reproducible across CPU nodes for the audit trail,
   * start-up never probes GPU drivers, and GPU deployments use the OpenAI-compatible backend.
   */
  gpu?: "auto" | false;
}

const minimumContextTokens = 2048;

/**
 * One llama.cpp binding per process: the first `create()` decides `gpu` and `maxThreads` for every
 * later model. `build: "never"` + `skipDownload`: use the prebuilt binaries shipped in
 * node_modules, never compile or fetch llama.cpp at runtime.
 */
let sharedLlama: Promise<Llama> | undefined;

function getSharedLlama(options: { gpu: "auto" | false; threads: number }): Promise<Llama> {
  sharedLlama ??= getLlama({
    gpu: options.gpu,
    build: "never",
    skipDownload: true,
    maxThreads: options.threads,
  }).catch((error: unknown) => {
    sharedLlama = undefined;
    throw error;
  });
  return sharedLlama;
}

/** The model's own Jinja template when it has one (fast, exact); otherwise node-llama-cpp's guess. */
function createChatWrapper(model: LlamaModel): ChatWrapper {
  const template = model.fileInfo.metadata.tokenizer?.chat_template;
  if (template !== undefined && template.trim() !== "") {
    try {
      // Thinking off: only the answer is streamed, and thought tokens would cost minutes on a CPU.
      return new JinjaTemplateChatWrapper({ template, tokenizer: model.tokenizer, reasoning: false });
    } catch {
      return resolveChatWrapper(model, { noJinja: true });
    }
  }
  return resolveChatWrapper(model);
}

function toChatHistory(request: Pick<GenerateRequest, "system" | "messages">): ChatHistoryItem[] {
  if (hasImages(request)) {
    throw new AppError("invalid:images_unsupported", {
      message: "This answering model reads text only; the prompt holds images.",
    });
  }
  const history: ChatHistoryItem[] = [];
  if (request.system !== "") history.push({ type: "system", text: request.system });
  for (const message of request.messages) {
    history.push(
      message.role === "user"
        ? { type: "user", text: textOf(message) }
        : { type: "model", response: [textOf(message)] },
    );
  }
  // LlamaChat appends this empty answer before rendering; counting must render the same.
  history.push({ type: "model", response: [] });
  return history;
}

/**
 * An answering model run in process by node-llama-cpp (llama.cpp). The server hosts it in a child
 * process (`llama-cpp-child.ts`, through `IsolatedLlamaCppGenerator`) so that a native crash does
 * not end the server; tests and benchmarks use it directly.
 */
export class LlamaCppGenerator implements Generator {
  readonly id: string;
  readonly modelSha256: string;
  readonly capabilities: GeneratorCapabilities;
  private readonly lock = new FifoLock();
  private readonly activeGenerations = new Set<AbortController>();
  private isDisposed = false;
  /**
   * Kept between answers: node-llama-cpp evaluates a prompt only from the first token that differs
   * from what the sequence holds, so the shared system prompt — and in a conversation the earlier
   * turns — are read once (the KV cache is reused).
   */
  private readonly sequence: LlamaContextSequence;

  private constructor(
    options: LlamaCppGeneratorOptions,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly chatWrapper: ChatWrapper,
  ) {
    this.id = `llama-cpp:${path.basename(options.modelPath)}`;
    this.modelSha256 = options.modelSha256;
    this.sequence = context.getSequence();
    this.capabilities = {
      contextTokens: context.contextSize,
      vision: false,
      maxImagesPerPrompt: 0,
      imageTokens: 0,
    };
  }

  /** Loads the model and creates its context. Throws `unavailable:generator_missing` / `unavailable:generator_load_failed`. */
  static async create(options: LlamaCppGeneratorOptions): Promise<LlamaCppGenerator> {
    const { modelPath, contextTokens, threads, gpu = false } = options;
    const isFile = await stat(modelPath).then(
      (stats) => stats.isFile(),
      () => false,
    );
    if (!isFile) {
      throw new AppError("unavailable:generator_missing", {
        message: `The answering model file ${modelPath} is missing (or is not a file).`,
      });
    }
    let llama: Llama;
    try {
      llama = await getSharedLlama({ gpu, threads });
    } catch (cause) {
      throw new AppError("unavailable:generator_load_failed", {
        message: "llama.cpp could not start: no working prebuilt binary for this platform.",
        cause,
      });
    }
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath });
    } catch (cause) {
      throw new AppError("unavailable:generator_load_failed", {
        message: `The answering model ${modelPath} could not be loaded (not a GGUF model llama.cpp supports?).`,
        cause,
      });
    }
    const maximumTokens = Math.min(contextTokens, model.trainContextSize);
    try {
      const context = await model.createContext({
        contextSize: { min: Math.min(minimumContextTokens, maximumTokens), max: maximumTokens },
        threads,
        sequences: 1,
      });
      return new LlamaCppGenerator(options, model, context, createChatWrapper(model));
    } catch (cause) {
      await model.dispose();
      throw new AppError("unavailable:generator_load_failed", {
        message: `A ${maximumTokens}-token context for ${modelPath} could not be created (not enough memory?).`,
        cause,
      });
    }
  }

  async countTokens(text: string): Promise<number> {
    return this.model.tokenize(text).length;
  }

  async countPromptTokens(request: Pick<GenerateRequest, "system" | "messages">): Promise<number> {
    return this.tokenizePrompt(toChatHistory(request)).length;
  }

  /**
   * Streams text pieces. Calls are served one at a time in arrival order, each on a fresh context
   * sequence. Aborting `request.signal` (while queued or generating) makes the iteration throw
   * `signal.reason` (a DOMException named "AbortError" unless the caller gave another reason);
   * leaving the loop early (`break`) stops generation too. `maxTokens` is clamped to the room left
   * in the window, so the answer is cut rather than the prompt shifted out.
   */
  async *generate(request: GenerateRequest): AsyncGenerator<string, void, undefined> {
    this.assertUsable();
    const release = await this.lock.acquire(request.signal);
    const stop = new AbortController();
    const stopOnRequestAbort = () => stop.abort(request.signal?.reason);
    request.signal?.addEventListener("abort", stopOnRequestAbort, { once: true });
    this.activeGenerations.add(stop);
    let chat: LlamaChat | undefined;
    let generation: Promise<unknown> | undefined;
    try {
      this.assertUsable();
      request.signal?.throwIfAborted();
      const history = toChatHistory(request);
      const promptTokens = this.tokenizePrompt(history).length;
      const roomTokens = this.capabilities.contextTokens - promptTokens - 1;
      if (roomTokens < 1) {
        throw new AppError("invalid:prompt_too_long", {
          message: `The prompt takes ${promptTokens} tokens; the model's window holds ${this.capabilities.contextTokens}.`,
        });
      }
      chat = new LlamaChat({ contextSequence: this.sequence, chatWrapper: this.chatWrapper });
      const pieces: string[] = [];
      let wake: (() => void) | undefined;
      let isDone = false;
      let failure: { error: unknown } | undefined;
      generation = chat
        .generateResponse(history, {
          maxTokens: Math.min(request.maxTokens, roomTokens),
          temperature: request.sampling.temperature,
          topP: request.sampling.topP,
          topK: request.sampling.topK,
          seed: request.sampling.seed,
          // Only the audited sampling parameters shape the answer.
          repeatPenalty: false,
          signal: stop.signal,
          onTextChunk: (text) => {
            if (text === "") return;
            pieces.push(text);
            wake?.();
          },
        })
        .catch((error: unknown) => {
          failure = { error };
        })
        .finally(() => {
          isDone = true;
          wake?.();
        });
      while (true) {
        const piece = pieces.shift();
        if (piece !== undefined) {
          yield piece;
          continue;
        }
        if (isDone) break;
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
      stop.abort();
      await generation;
      chat?.dispose({ disposeSequence: false });
      request.signal?.removeEventListener("abort", stopOnRequestAbort);
      this.activeGenerations.delete(stop);
      release();
    }
  }

  /** Stops running generations, then frees the context and the model (the shared binding stays). */
  async dispose(): Promise<void> {
    if (this.isDisposed) return;
    this.isDisposed = true;
    for (const generation of this.activeGenerations) generation.abort();
    const release = await this.lock.acquire();
    try {
      await this.context.dispose();
      await this.model.dispose();
    } finally {
      release();
    }
  }

  /**
   * Tokens at the start of this request's prompt that the model already holds from the previous
   * answer, and will not read again.
   */
  async reusablePromptTokens(request: Pick<GenerateRequest, "system" | "messages">): Promise<number> {
    const tokens = this.tokenizePrompt(toChatHistory(request));
    return Math.min(
      this.sequence.compareContextTokens(tokens).firstDifferentIndex,
      this.sequence.nextTokenIndex,
    );
  }

  private tokenizePrompt(history: ChatHistoryItem[]) {
    return this.chatWrapper
      .generateContextState({ chatHistory: history })
      .contextText.tokenize(this.model.tokenizer);
  }

  private assertUsable(): void {
    if (this.isDisposed) {
      throw new AppError("unavailable:generator_disposed", {
        message: "The generator was disposed.",
      });
    }
  }
}
