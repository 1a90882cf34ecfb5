import { AppError } from "../errors";
import {
  type ChatMessage,
  type GenerateRequest,
  type Generator,
  type GeneratorCapabilities,
  imagesOf,
  textOf,
} from "./generator";
import { encodeImageForPrompt, toDataUrl } from "./prompt-image";
import { readServerSentEvents } from "./server-sent-events";

export interface OpenAiGeneratorOptions {
  /** The API root, e.g. `http://gpu-node:8080/v1` (llama-server, vLLM, Ollama). */
  baseUrl: string;
  /** The model name the server knows. */
  model: string;
  /** Sent as `Authorization: Bearer …` when set; never logged. */
  apiKey?: string;
  /** Upper bound of the window; the server's own figure is used when it reports a smaller one. */
  contextTokens: number;
  /** Until the server answers (connect, headers); also the bound of every small request. */
  requestTimeoutMs: number;
  /** Longest silence allowed between two pieces of a streamed answer. */
  idleTimeoutMs: number;
  /** Images are sent (as `data:` URLs in `image_url` parts) only when the server's model takes them. */
  vision?: { maxImagesPerPrompt: number; imageTokens: number; imageEdgePixels: number };
}

/**
 * Where the server has no tokenize endpoint, tokens are estimated so as to err on the side of
 * sending less than fits. Gemma's and Llama's tokenizers split numbers into single digits and
 * give most punctuation, and a space before either, a token of its own: a table of figures runs
 * ~1 token a character; a character outside a tokenizer's vocabulary falls back to its UTF-8
 * bytes (Llama 2 reads most CJK that way); English runs ~4 characters a token. So: a token per
 * digit, punctuation mark and space before a non-letter, a token per UTF-8 byte of any other
 * non-ASCII character, and one per 3 of the remaining characters (letters, spaces between words).
 */
const wordCharactersPerEstimatedToken = 3;

export function estimateTokens(text: string): number {
  let single = 0;
  let word = 0;
  const characters = [...text];
  characters.forEach((character, index) => {
    const isLetter = /[A-Za-z]/.test(character);
    const isSpace = /\s/.test(character);
    if (isLetter) word += 1;
    else if (character.charCodeAt(0) > 0x7f) single += Buffer.byteLength(character, "utf8");
    else if (isSpace) {
      if (/[A-Za-z]/.test(characters[index + 1] ?? "")) word += 1;
      else single += 1;
    } else single += 1;
  });
  return single + Math.ceil(word / wordCharactersPerEstimatedToken);
}

/** Per message: role markers and separators of a chat template (estimate mode). */
const estimatedTokensPerMessage = 8;

type TokenCounter = (text: string) => Promise<number>;

/**
 * A generator behind an OpenAI-compatible HTTP API (`GENERATOR_BACKEND=openai`): streaming chat
 * completions, for `llama-server`, vLLM or Ollama on GPU nodes. Every failure — refused
 * connection, an HTTP error, a malformed or stalled stream — is an AppError naming the URL,
 * raised within the configured timeouts.
 */
export class OpenAiGenerator implements Generator {
  readonly id: string;
  /** A remote model's file cannot be hashed here: the audit record says so. */
  readonly modelSha256: string;
  readonly capabilities: GeneratorCapabilities;

  private constructor(
    private readonly options: OpenAiGeneratorOptions,
    contextTokens: number,
    private readonly countTokensRemotely: TokenCounter | null,
  ) {
    this.id = `openai:${options.model}@${new URL(options.baseUrl).host}`;
    this.modelSha256 = `remote:${options.model}`;
    const { vision } = options;
    this.capabilities = {
      contextTokens,
      vision: vision !== undefined && vision.maxImagesPerPrompt > 0,
      maxImagesPerPrompt: vision?.maxImagesPerPrompt ?? 0,
      imageTokens: vision?.imageTokens ?? 0,
    };
  }

  /** Asks the server for its models (and window); finds out whether it can count tokens. */
  static async create(options: OpenAiGeneratorOptions): Promise<OpenAiGenerator> {
    const baseUrl = options.baseUrl.replace(/\/+$/, "");
    const normalized = { ...options, baseUrl };
    const models = await requestJson(normalized, "GET", `${baseUrl}/models`);
    const listed = Array.isArray((models as { data?: unknown }).data)
      ? ((models as { data: unknown[] }).data as Record<string, unknown>[])
      : [];
    const entry = listed.find((candidate) => candidate.id === options.model);
    if (listed.length > 0 && !entry) {
      throw new AppError("unavailable:generator_missing", {
        message: `The server at ${baseUrl} has no model "${options.model}" (it has ${listed
          .map((candidate) => String(candidate.id))
          .slice(0, 10)
          .join(", ")}). Set GENERATOR_MODEL to one of them.`,
      });
    }
    const reportedWindow = windowOf(entry);
    const contextTokens = Math.min(options.contextTokens, reportedWindow ?? Number.POSITIVE_INFINITY);
    const counter = await probeTokenizeEndpoint(normalized);
    return new OpenAiGenerator(normalized, contextTokens, counter);
  }

  async countTokens(text: string): Promise<number> {
    if (text.length === 0) return 0;
    if (this.countTokensRemotely) return this.countTokensRemotely(text);
    return estimateTokens(text);
  }

  async countPromptTokens(request: Pick<GenerateRequest, "system" | "messages">): Promise<number> {
    const texts = [request.system, ...request.messages.map(textOf)];
    const counts = await Promise.all(texts.map((text) => this.countTokens(text)));
    const images = request.messages.reduce((sum, message) => sum + imagesOf(message).length, 0);
    return counts.reduce(
      (sum, count) => sum + count + estimatedTokensPerMessage,
      estimatedTokensPerMessage + images * this.capabilities.imageTokens,
    );
  }

  async *generate(request: GenerateRequest): AsyncIterable<string> {
    const url = `${this.options.baseUrl}/chat/completions`;
    const controller = new AbortController();
    const onAbort = () => controller.abort(request.signal?.reason);
    request.signal?.addEventListener("abort", onAbort, { once: true });
    let stallTimer: NodeJS.Timeout | undefined;
    let stalled = false;
    const armStallTimer = (timeoutMs: number) => {
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => {
        stalled = true;
        controller.abort();
      }, timeoutMs);
    };
    try {
      request.signal?.throwIfAborted();
      const messages = await Promise.all(request.messages.map((message) => this.toWireMessage(message)));
      armStallTimer(this.options.requestTimeoutMs);
      const response = await fetch(url, {
        method: "POST",
        headers: headersOf(this.options),
        body: JSON.stringify({
          model: this.options.model,
          stream: true,
          messages: [{ role: "system", content: request.system }, ...messages],
          max_tokens: request.maxTokens,
          temperature: request.sampling.temperature,
          top_p: request.sampling.topP,
          top_k: request.sampling.topK,
          seed: request.sampling.seed,
        }),
        signal: controller.signal,
      }).catch((error: unknown) => {
        throw stalled ? stalledError(url, this.options.requestTimeoutMs) : unreachable(url, error, request);
      });
      if (!response.ok || !response.body) throw await httpError(url, response);
      let finished = false;
      let pieces = 0;
      armStallTimer(this.options.idleTimeoutMs);
      try {
        for await (const data of readServerSentEvents(response.body)) {
          armStallTimer(this.options.idleTimeoutMs);
          if (data === "[DONE]") {
            finished = true;
            break;
          }
          const piece = parseChunk(url, data);
          if (piece.text) {
            yield piece.text;
            pieces += 1;
          }
          if (piece.isFinished) finished = true;
          // Every piece holds at least one token: a server that ignores max_tokens is cut off.
          if (pieces >= request.maxTokens) {
            finished = true;
            break;
          }
        }
      } catch (error) {
        if (stalled) throw stalledError(url, this.options.idleTimeoutMs);
        request.signal?.throwIfAborted();
        if (error instanceof AppError) throw error;
        throw malformed(url, `the stream broke off (${(error as Error).message})`, error);
      }
      if (!finished) throw malformed(url, "the stream ended before the answer did");
    } finally {
      clearTimeout(stallTimer);
      request.signal?.removeEventListener("abort", onAbort);
      controller.abort();
    }
  }

  async dispose(): Promise<void> {
    // Nothing is held open between requests.
  }

  /** Text stays a string; text with images becomes `text` and `image_url` (data URL) parts. */
  private async toWireMessage(message: ChatMessage) {
    if (typeof message.content === "string") return message;
    const { vision } = this.options;
    if (!vision || imagesOf(message).length > vision.maxImagesPerPrompt) {
      throw new AppError("invalid:images_unsupported", {
        message: `The model at ${this.options.baseUrl} is not configured to take images (OPENAI_VISION).`,
      });
    }
    const content = await Promise.all(
      message.content.map(async (part) =>
        part.type === "text"
          ? { type: "text", text: part.text }
          : {
              type: "image_url",
              image_url: {
                url: toDataUrl(await encodeImageForPrompt(part.image.path, vision.imageEdgePixels)),
              },
            },
      ),
    );
    return { role: message.role, content };
  }
}

function headersOf(options: Pick<OpenAiGeneratorOptions, "apiKey">): Record<string, string> {
  return {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
  };
}

/** The server's own window: vLLM's `max_model_len`, llama-server's `meta.n_ctx_train`. */
function windowOf(entry: Record<string, unknown> | undefined): number | null {
  const candidates = [
    entry?.max_model_len,
    (entry?.meta as Record<string, unknown> | undefined)?.n_ctx_train,
  ];
  const found = candidates.find((value) => typeof value === "number" && Number.isInteger(value) && value > 0);
  return (found as number | undefined) ?? null;
}

/**
 * llama-server (`{content}` → `{tokens}`) and vLLM (`{model, prompt}` → `{count}`) both serve
 * `POST /tokenize` at the server's root; one request finds out. Without it, counts are estimated.
 */
async function probeTokenizeEndpoint(options: OpenAiGeneratorOptions): Promise<TokenCounter | null> {
  const url = `${options.baseUrl.replace(/\/v1$/, "")}/tokenize`;
  const count: TokenCounter = async (text) => {
    const body = await requestJson(options, "POST", url, {
      model: options.model,
      content: text,
      prompt: text,
    });
    const { tokens, count: counted } = body as { tokens?: unknown; count?: unknown };
    if (typeof counted === "number") return counted;
    if (Array.isArray(tokens)) return tokens.length;
    throw malformed(url, "the tokenize answer has neither tokens nor count");
  };
  try {
    return (await count("probe")) > 0 ? count : null;
  } catch (error) {
    if (error instanceof AppError && error.code === "unavailable:generator_unreachable") throw error;
    return null;
  }
}

async function requestJson(
  options: OpenAiGeneratorOptions,
  method: "GET" | "POST",
  url: string,
  body?: unknown,
): Promise<unknown> {
  const signal = AbortSignal.timeout(options.requestTimeoutMs);
  const response = await fetch(url, {
    method,
    headers: headersOf(options),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal,
  }).catch((error: unknown) => {
    throw signal.aborted ? stalledError(url, options.requestTimeoutMs) : unreachable(url, error);
  });
  if (!response.ok) throw await httpError(url, response);
  try {
    return await response.json();
  } catch (error) {
    throw malformed(url, "the answer is not JSON", error);
  }
}

function parseChunk(url: string, data: string): { text: string; isFinished: boolean } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch (error) {
    throw malformed(url, `a stream event is not JSON: ${data.slice(0, 80)}`, error);
  }
  const chunk = parsed as {
    error?: { message?: unknown } | string;
    choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[];
  };
  if (chunk.error !== undefined) {
    const message = typeof chunk.error === "string" ? chunk.error : String(chunk.error.message ?? "unknown");
    throw new AppError("unavailable:generator_response", {
      message: `The model server at ${url} failed during the answer: ${message.slice(0, 300)}`,
    });
  }
  if (!Array.isArray(chunk.choices)) throw malformed(url, "a stream event has no choices");
  const [choice] = chunk.choices;
  const content = choice?.delta?.content;
  return {
    text: typeof content === "string" ? content : "",
    isFinished: typeof choice?.finish_reason === "string",
  };
}

function unreachable(url: string, error: unknown, request?: Pick<GenerateRequest, "signal">): unknown {
  if (request?.signal?.aborted) return request.signal.reason;
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const reason = typeof cause?.code === "string" ? cause.code : (error as Error).message;
  return new AppError("unavailable:generator_unreachable", {
    message: `The model server at ${url} cannot be reached (${reason}).`,
    cause: error,
    retryAfterSeconds: 10,
  });
}

async function httpError(url: string, response: Response): Promise<AppError> {
  const text = await response.text().catch(() => "");
  return new AppError("unavailable:generator_response", {
    message: `The model server at ${url} answered ${response.status} ${response.statusText}${
      text ? `: ${text.slice(0, 300)}` : ""
    }`,
    details: { status: response.status },
    retryAfterSeconds: 10,
  });
}

function stalledError(url: string, timeoutMs: number): AppError {
  return new AppError("unavailable:generator_response", {
    message: `The model server at ${url} sent nothing for ${timeoutMs / 1000} s; the answer was abandoned.`,
    retryAfterSeconds: 10,
  });
}

function malformed(url: string, what: string, cause?: unknown): AppError {
  return new AppError("unavailable:generator_response", {
    message: `The model server at ${url} sent a malformed answer: ${what}.`,
    cause,
  });
}
