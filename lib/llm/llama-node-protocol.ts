/**
 * Messages between `llama-node-generator.ts` (the server) and `llama-node-child.ts` (the process
 * that runs `@fugood/llama.node`). Every request carries an id; the child answers each but `stop`
 * with one `reply` (and, for a completion, `token` messages before it): `model-child-protocol.ts`.
 */

export interface LoadOptions {
  modelPath: string;
  projectorPath: string;
  contextTokens: number;
  threads: number;
}

/** Chat messages as llama.cpp's template takes them; images are `<__media__>` markers in the text. */
export interface NativeMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export type ChildRequest =
  | { id: number; type: "load"; options: LoadOptions }
  | { id: number; type: "format"; messages: NativeMessage[] }
  | { id: number; type: "tokenize"; text: string; media: string[] | undefined }
  | { id: number; type: "complete"; options: Record<string, unknown> }
  /** Stops completion `id` if it is still running (no reply of its own: the completion's follows). */
  | { id: number; type: "stop" }
  | { id: number; type: "release" };

export interface FormatResult {
  prompt: string;
  stops: string[];
}

export interface TokenizeResult {
  tokenCount: number;
  /** Token position where each image starts. */
  mediaPositions: number[];
}

export interface CompleteResult {
  text: string;
  /** Tokens of the prompt, images included. */
  promptTokens: number;
  /** Prompt tokens llama.cpp computed (not taken from its cache). */
  computedPromptTokens: number;
  generatedTokens: number;
  contextFull: boolean;
  /** The binding's context got stuck after this completion and was replaced by a fresh one. */
  wasReloaded: boolean;
}

/** Replies and tokens, as every model child sends them. */
export type { ModelChildMessage as ChildMessage } from "./model-child-protocol";
