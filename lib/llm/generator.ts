/** An image placed in a prompt: a PNG or JPEG file Folio made (a figure crop or an image document). */
export interface PromptImage {
  /** Absolute path of the file on disk; adapters resize it to what their projector takes. */
  path: string;
  /** sha256 of the file's bytes: what the audit trail records for the image. */
  sha256: string;
}

/** A piece of a message: text, or an image placed at that point of the text. */
export type MessagePart = { type: "text"; text: string } | { type: "image"; image: PromptImage };

export interface ChatMessage {
  role: "user" | "assistant";
  /** Plain text, or text and images in order (images only for a generator with `vision`). */
  content: string | MessagePart[];
}

/** Sampling parameters; all recorded in the audit trail of every answer. */
export interface SamplingParameters {
  /** @default 0.2 — low: answers should follow the sources, not invent. */
  temperature: number;
  topP: number;
  topK: number;
  /** Fixed seed so that, with the same model and prompt, an auditor can reproduce the answer. */
  seed: number;
}

export interface GenerateRequest {
  system: string;
  messages: ChatMessage[];
  maxTokens: number;
  sampling: SamplingParameters;
  signal?: AbortSignal;
}

/** What a generator can take; the prompt builder plans within it. */
export interface GeneratorCapabilities {
  /** Tokens the context window holds (prompt + answer). */
  contextTokens: number;
  /** Whether messages may hold images (a vision projector is loaded, or the server takes them). */
  vision: boolean;
  /** The most images one prompt may hold; 0 without vision. */
  maxImagesPerPrompt: number;
  /** Tokens one image occupies in the window once resized for the projector; 0 without vision. */
  imageTokens: number;
}

/**
 * An answering model. Adapters: `isolated-llama-cpp-generator.ts` (text, node-llama-cpp in a child
 * process running `llama-cpp-generator.ts`), the vision adapter (also in a child process) and
 * `openai-generator.ts` (a remote server). Chosen only in `lib/runtime.ts`; the rest of the
 * code never imports an adapter.
 */
export interface Generator {
  /** e.g. `llama-cpp:gemma-4-E2B-it-Q4_K_M.gguf` */
  readonly id: string;
  /** sha256 of the model file, recorded in every audit row. */
  readonly modelSha256: string;
  readonly capabilities: GeneratorCapabilities;
  /** Tokens `text` occupies in this model's own tokenizer. */
  countTokens(text: string): Promise<number>;
  /** Tokens the whole request occupies in the window, chat template and images included. */
  countPromptTokens(request: Pick<GenerateRequest, "system" | "messages">): Promise<number>;
  /** Streams the answer text in pieces. Aborting `signal` stops generation and frees the model. */
  generate(request: GenerateRequest): AsyncIterable<string>;
  dispose(): Promise<void>;
}

/** The images of a message, in order. */
export function imagesOf(message: ChatMessage): PromptImage[] {
  if (typeof message.content === "string") return [];
  return message.content.flatMap((part) => (part.type === "image" ? [part.image] : []));
}

/** A message's text alone (images left out), for text-only tokenizers and backends. */
export function textOf(message: ChatMessage): string {
  if (typeof message.content === "string") return message.content;
  return message.content.map((part) => (part.type === "text" ? part.text : "")).join("");
}

/** Whether any message of the request holds an image. */
export function hasImages(request: Pick<GenerateRequest, "messages">): boolean {
  return request.messages.some((message) => imagesOf(message).length > 0);
}
