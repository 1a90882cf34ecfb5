import { stat } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { AppError } from "../errors";
import { type GgufHeader, projectorMismatch, readGgufHeader } from "../models/gguf-header";
import { FifoLock } from "./fifo-lock";
import {
  type GenerateRequest,
  type Generator,
  type GeneratorCapabilities,
  imagesOf,
  type PromptImage,
} from "./generator";
import type {
  ChildRequest,
  CompleteResult,
  FormatResult,
  LoadOptions,
  NativeMessage,
  TokenizeResult,
} from "./llama-node-protocol";
import {
  type ChildExit,
  describeHow,
  type ModelChild,
  RestartBudget,
  settledOrKilled,
  startModelChild,
} from "./model-child";
import { encodeImageForPrompt, toDataUrl } from "./prompt-image";

export interface LlamaNodeGeneratorOptions {
  /** The text model (GGUF); the same file the text generator maps, so its pages are shared. */
  modelPath: string;
  /** The vision projector (mmproj GGUF) made for that model. */
  projectorPath: string;
  /** Recorded in every audit row; not re-computed here. */
  modelSha256: string;
  /** Upper bound of the window, in tokens; capped at the model's train context. */
  contextTokens: number;
  /** CPU threads; the real core count or fewer. */
  threads: number;
  /** The most images one prompt may hold. */
  maxImagesPerPrompt: number;
  /** How long loading the pair may take. @default 300_000 */
  loadTimeoutMs?: number;
  /** How long a stopped completion may take to wind down before its process is killed. @default 10_000 */
  stopGraceMs?: number;
}

/** Where llama.cpp's multimodal library expects each image of a formatted prompt. */
const mediaMarker = "<__media__>";
/** Edge used when a projector does not say its input size (Gemma 3's). */
const defaultImageEdgePixels = 896;
const encodedImageCacheSize = 32;

/**
 * Sampling options llama.cpp applies unless told otherwise (min-p 0.05, DRY 1.75, …): all off, so
 * only the audited parameters shape the answer.
 */
const neutralSampling = {
  min_p: 0,
  typical_p: 1,
  penalty_last_n: 0,
  penalty_repeat: 1,
  penalty_freq: 0,
  penalty_present: 0,
  dry_multiplier: 0,
  xtc_probability: 0,
  top_n_sigma: -1,
  mirostat: 0,
} as const;

/** The program run in the child (by path, like the PDF parser's: it is not part of any bundle). */
export function resolveVisionChildPath(): string {
  return path.join(process.cwd(), "lib", "llm", "llama-node-child.ts");
}

async function isFile(filePath: string): Promise<boolean> {
  return stat(filePath).then(
    (stats) => stats.isFile(),
    () => false,
  );
}

type VisionChild = ModelChild<ChildRequest>;

function visionExitError(exit: ChildExit, reason: string | undefined): AppError {
  return new AppError("unavailable:generator_unreachable", {
    message: `The vision model's process ${describeHow(exit)}${reason ? `: ${reason}` : ""}. It is started again on the next request.`,
  });
}

/** Starts a child and loads the pair in it; a failure names llama.cpp's reason. */
async function startVisionChild(
  options: LoadOptions,
  timeoutMs: number,
  budget: RestartBudget,
): Promise<VisionChild> {
  budget.assertCanStart("The vision model");
  const child = startModelChild<ChildRequest>({
    childPath: resolveVisionChildPath(),
    // --expose-gc: a native context replaced in the child is freed at once (see the child).
    nodeArguments: ["--expose-gc"],
    describeExit: visionExitError,
  });
  const timer = setTimeout(() => child.kill(), timeoutMs);
  try {
    await child.request({ type: "load", options });
    void child.exited.then((exit) => {
      if (!child.isClosing) budget.record(`its process ${describeHow(exit)}`);
    });
    return child;
  } catch (cause) {
    child.kill();
    const reason = child.reason();
    budget.record(reason ?? (cause instanceof Error ? cause.message : String(cause)));
    throw new AppError("unavailable:generator_load_failed", {
      message:
        `${path.basename(options.modelPath)} with the vision projector ${options.projectorPath} could not be loaded` +
        `${reason ? `: ${reason}` : ` (${cause instanceof Error ? cause.message : String(cause)})`}. ` +
        "Use the projector (mmproj) made for this model, and check that memory suffices for the window.",
      cause,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** The message content with images replaced by markers, and the images in marker order. */
function toNativeMessage(message: GenerateRequest["messages"][number]): {
  native: NativeMessage;
  images: PromptImage[];
} {
  // A document that happens to contain the marker must not become an image slot.
  const defuseMarkers = (text: string) => text.replaceAll(mediaMarker, "<__media_ _>");
  const content =
    typeof message.content === "string"
      ? defuseMarkers(message.content)
      : message.content
          .map((part) => (part.type === "text" ? defuseMarkers(part.text) : mediaMarker))
          .join("");
  return { native: { role: message.role, content }, images: imagesOf(message) };
}

interface FormattedPrompt {
  prompt: string;
  /** Images as `data:` URLs, in the order of their markers. */
  media: string[];
  stops: string[];
}

/**
 * An answering model that reads images: the same GGUF as the text generator plus its vision
 * projector, run by `@fugood/llama.node` (llama.cpp with libmtmd) in a child process of its own
 * (`llama-node-child.ts`, why there: see its comment). The model's own chat template formats the
 * conversation; images are resized to the projector's input edge and passed as `data:` URLs. A
 * child that dies is started again on the next request.
 */
export class LlamaNodeGenerator implements Generator {
  readonly id: string;
  readonly modelSha256: string;
  readonly capabilities: GeneratorCapabilities;
  /** Times the model was loaded again: the child died, or the binding got stuck and was replaced. */
  nativeReloads = 0;
  /**
   * What llama.cpp reported for the last completion: the prompt's tokens (images included), how
   * many of them it computed (the rest it still held from the previous answer), and the tokens
   * generated.
   */
  lastUsage: { promptTokens: number; computedPromptTokens: number; generatedTokens: number } | undefined;
  private readonly lock = new FifoLock();
  private readonly encodedImages = new Map<string, Promise<string>>();
  private activeStop: (() => void) | undefined;
  private isDisposed = false;
  private readonly stopGraceMs: number;

  private constructor(
    options: LlamaNodeGeneratorOptions,
    private child: Promise<VisionChild>,
    /** Crashes of this pair's process: one that keeps crashing is not started again and again. */
    private readonly budget: RestartBudget,
    private readonly loadOptions: LoadOptions,
    private readonly loadTimeoutMs: number,
    private readonly imageEdgePixels: number,
    /** Whether llama.cpp puts a BOS token before a text-only prompt (the media path counts it itself). */
    private readonly addsBos: boolean,
    imageTokens: number,
  ) {
    this.id = `llama-node:${path.basename(options.modelPath)}`;
    this.stopGraceMs = options.stopGraceMs ?? 10_000;
    this.modelSha256 = options.modelSha256;
    this.capabilities = {
      contextTokens: loadOptions.contextTokens,
      vision: true,
      maxImagesPerPrompt: options.maxImagesPerPrompt,
      imageTokens,
    };
  }

  /**
   * Checks both files (presence, headers), loads the pair in its child process, and measures the
   * tokens one image takes. Throws `unavailable:generator_missing` / `unavailable:generator_load_failed`.
   */
  static async create(options: LlamaNodeGeneratorOptions): Promise<LlamaNodeGenerator> {
    const { modelPath, projectorPath } = options;
    for (const [what, filePath] of [
      ["answering model", modelPath],
      ["vision projector (mmproj)", projectorPath],
    ] as const) {
      if (!(await isFile(filePath))) {
        throw new AppError("unavailable:generator_missing", {
          message: `The ${what} file ${filePath} is missing (or is not a file).`,
        });
      }
    }
    const [modelHeader, projectorHeader] = (await Promise.all(
      [modelPath, projectorPath].map((filePath) =>
        readGgufHeader(filePath).catch((cause: unknown) => {
          throw new AppError("unavailable:generator_load_failed", {
            message: `${filePath} is not a GGUF file llama.cpp can read.`,
            cause,
          });
        }),
      ),
    )) as [GgufHeader, GgufHeader];
    const mismatch = projectorMismatch(modelHeader, projectorHeader);
    if (mismatch) {
      throw new AppError("unavailable:generator_load_failed", {
        message: `The vision projector ${projectorPath} does not fit ${path.basename(modelPath)}: ${mismatch}.`,
      });
    }

    const loadOptions: LoadOptions = {
      modelPath,
      projectorPath,
      contextTokens: Math.min(options.contextTokens, modelHeader.contextLength ?? options.contextTokens),
      threads: options.threads,
    };
    const loadTimeoutMs = options.loadTimeoutMs ?? 300_000;
    const budget = new RestartBudget();
    const child = await startVisionChild(loadOptions, loadTimeoutMs, budget);
    const imageEdgePixels = projectorHeader.projector?.imageSize ?? defaultImageEdgePixels;
    try {
      const { imageTokens, addsBos } = await measureImageTokens(child, imageEdgePixels);
      return new LlamaNodeGenerator(
        options,
        Promise.resolve(child),
        budget,
        loadOptions,
        loadTimeoutMs,
        imageEdgePixels,
        addsBos,
        imageTokens,
      );
    } catch (cause) {
      child.kill();
      throw new AppError("unavailable:generator_load_failed", {
        message: `The vision projector ${projectorPath} loaded but could not read a test image.`,
        cause,
      });
    }
  }

  async countTokens(text: string): Promise<number> {
    const child = await this.runningChild();
    return (await child.request<TokenizeResult>({ type: "tokenize", text, media: undefined })).tokenCount;
  }

  async countPromptTokens(request: Pick<GenerateRequest, "system" | "messages">): Promise<number> {
    const child = await this.runningChild();
    return this.countFormatted(child, await this.format(child, request));
  }

  /**
   * Streams text pieces; calls are served one at a time in arrival order. Aborting `request.signal`
   * (queued or generating) stops llama.cpp and makes the iteration throw `signal.reason`; leaving
   * the loop early stops it too. `maxTokens` is clamped to the room left in the window.
   */
  async *generate(request: GenerateRequest): AsyncGenerator<string, void, undefined> {
    this.assertUsable();
    const release = await this.lock.acquire(request.signal);
    let completion: { id: number; reply: Promise<CompleteResult> } | undefined;
    let settled: Promise<void> | undefined;
    let child: VisionChild | undefined;
    let isSettled = false;
    let wake: (() => void) | undefined;
    const stop = () => {
      if (child && completion && !isSettled) child.stop(completion.id);
      // The reader stops waiting at once; a binding that ignores the stop is dealt with below.
      wake?.();
    };
    request.signal?.addEventListener("abort", stop, { once: true });
    this.activeStop = stop;
    try {
      child = await this.runningChild();
      request.signal?.throwIfAborted();
      const formatted = await this.format(child, request);
      const promptTokens = await this.countFormatted(child, formatted);
      const roomTokens = this.capabilities.contextTokens - promptTokens - 1;
      if (roomTokens < 1) {
        throw new AppError("invalid:prompt_too_long", {
          message: `The prompt takes ${promptTokens} tokens; the model's window holds ${this.capabilities.contextTokens}.`,
        });
      }
      request.signal?.throwIfAborted();

      const pieces: string[] = [];
      let delivered = "";
      let outcome: { result: CompleteResult } | { error: unknown } | undefined;
      const { temperature, topK, topP, seed } = request.sampling;
      completion = child.start<CompleteResult>(
        {
          type: "complete",
          options: {
            prompt: formatted.prompt,
            media_paths: formatted.media,
            stop: formatted.stops,
            n_predict: Math.min(request.maxTokens, roomTokens),
            temperature,
            // Temperature 0 is not deterministic in this binding; greedy is top-k 1.
            top_k: temperature <= 0 ? 1 : topK,
            top_p: topP,
            seed,
            ...neutralSampling,
          },
        },
        (token) => {
          if (isSettled) return;
          pieces.push(token);
          delivered += token;
          wake?.();
        },
      );
      settled = completion.reply
        .then(
          (result) => {
            outcome = { result };
            this.lastUsage = {
              promptTokens: result.promptTokens,
              computedPromptTokens: result.computedPromptTokens,
              generatedTokens: result.generatedTokens,
            };
            if (result.wasReloaded) this.nativeReloads += 1;
            // Pieces the binding had not handed over when it finished: take them from the text.
            if (result.text.length > delivered.length && result.text.startsWith(delivered)) {
              pieces.push(result.text.slice(delivered.length));
            }
          },
          (error: unknown) => {
            outcome = { error };
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
      if (outcome && "error" in outcome) {
        this.assertUsable();
        throw outcome.error;
      }
      if (outcome?.result.contextFull && outcome.result.generatedTokens === 0) {
        throw new AppError("invalid:prompt_too_long", {
          message: `The prompt does not fit the model's ${this.capabilities.contextTokens}-token window.`,
        });
      }
    } finally {
      stop();
      await settledOrKilled(settled, child, this.stopGraceMs, "vision");
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

  /** The child, started again (and the pair reloaded) if it died. */
  private async runningChild(): Promise<VisionChild> {
    this.assertUsable();
    const current = this.child;
    const child = await current.catch(() => undefined);
    if (child && !child.hasExited) return child;
    // Another caller may already have started the replacement.
    if (this.child !== current) return this.runningChild();
    this.nativeReloads += 1;
    this.child = startVisionChild(this.loadOptions, this.loadTimeoutMs, this.budget);
    return this.child;
  }

  private async format(
    child: VisionChild,
    request: Pick<GenerateRequest, "system" | "messages">,
  ): Promise<FormattedPrompt> {
    const messages: NativeMessage[] = [];
    const images: PromptImage[] = [];
    if (request.system !== "") messages.push({ role: "system", content: request.system });
    for (const message of request.messages) {
      const { native, images: messageImages } = toNativeMessage(message);
      messages.push(native);
      images.push(...messageImages);
    }
    if (images.length > this.capabilities.maxImagesPerPrompt) {
      throw new AppError("invalid:too_many_images", {
        message: `The prompt holds ${images.length} images; this model takes at most ${this.capabilities.maxImagesPerPrompt}.`,
      });
    }
    const [formatted, media] = await Promise.all([
      child.request<FormatResult>({ type: "format", messages }),
      Promise.all(images.map((image) => this.encode(image))),
    ]);
    return { prompt: formatted.prompt, media, stops: formatted.stops };
  }

  /** Exactly what the completion will evaluate: the media path counts BOS and image tokens itself. */
  private async countFormatted(child: VisionChild, formatted: FormattedPrompt): Promise<number> {
    const hasMedia = formatted.media.length > 0;
    const { tokenCount } = await child.request<TokenizeResult>({
      type: "tokenize",
      text: formatted.prompt,
      media: hasMedia ? formatted.media : undefined,
    });
    return tokenCount + (!hasMedia && this.addsBos ? 1 : 0);
  }

  /** The image resized to the projector's edge, as a PNG `data:` URL (cached by content). */
  private encode(image: PromptImage): Promise<string> {
    const key = `${image.sha256}:${this.imageEdgePixels}`;
    let encoded = this.encodedImages.get(key);
    if (!encoded) {
      encoded = encodeImageForPrompt(image.path, this.imageEdgePixels).then(toDataUrl);
      encoded.catch(() => this.encodedImages.delete(key));
      this.encodedImages.set(key, encoded);
      const oldest = this.encodedImages.keys().next().value;
      if (this.encodedImages.size > encodedImageCacheSize && oldest !== undefined) {
        this.encodedImages.delete(oldest);
      }
    }
    return encoded;
  }

  private assertUsable(): void {
    if (this.isDisposed) {
      throw new AppError("unavailable:generator_disposed", { message: "The generator was disposed." });
    }
  }
}

/**
 * Tokens one image takes in the window once resized to `edgePixels` (for projectors with a
 * variable resolution: the most among square and 2:1 images), and whether a prompt gets a BOS token.
 */
async function measureImageTokens(
  child: VisionChild,
  edgePixels: number,
): Promise<{ imageTokens: number; addsBos: boolean }> {
  let imageTokens = 0;
  let addsBos = false;
  const half = Math.max(1, Math.round(edgePixels / 2));
  for (const [width, height] of [
    [edgePixels, edgePixels],
    [edgePixels, half],
    [half, edgePixels],
  ] as const) {
    const png = await sharp({ create: { width, height, channels: 3, background: "#ffffff" } })
      .png()
      .toBuffer();
    const result = await child.request<TokenizeResult>({
      type: "tokenize",
      text: mediaMarker,
      media: [`data:image/png;base64,${png.toString("base64")}`],
    });
    // Nothing precedes the marker, so whatever sits before the image is the BOS token.
    const before = result.mediaPositions[0] ?? 0;
    addsBos = before > 0;
    imageTokens = Math.max(imageTokens, result.tokenCount - before);
  }
  return { imageTokens, addsBos };
}
