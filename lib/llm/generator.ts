export interface ChatMessage {
  role: "user" | "assistant";
  content: string;
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

/**
 * An answering model. Adapters: `llama-cpp-generator.ts` (in process). Chosen only in
 * `lib/runtime.ts`; the rest of the code never imports an adapter.
 */
export interface Generator {
  /** e.g. `llama-cpp:gemma-4-E2B-it-Q4_K_M.gguf` */
  readonly id: string;
  /** sha256 of the model file, recorded in every audit row. */
  readonly modelSha256: string;
  /** Tokens the model's context window holds (prompt + answer). */
  readonly contextTokens: number;
  /** Whether `generate` can take images (none of the 3.x node-llama-cpp backends can). */
  readonly vision: boolean;
  /** Tokens `text` occupies in this model's own tokenizer. */
  countTokens(text: string): Promise<number>;
  /** Tokens the whole request occupies in the window, chat template included. */
  countPromptTokens(request: Pick<GenerateRequest, "system" | "messages">): Promise<number>;
  /** Streams the answer text in pieces. Aborting `signal` stops generation and frees the model. */
  generate(request: GenerateRequest): AsyncIterable<string>;
  dispose(): Promise<void>;
}
