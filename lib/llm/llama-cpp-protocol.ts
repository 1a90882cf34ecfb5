import type { GenerateRequest } from "./generator";
import type { LlamaCppGeneratorOptions } from "./llama-cpp-generator";

/**
 * Requests from `isolated-llama-cpp-generator.ts` (the server) to `llama-cpp-child.ts` (the process
 * that runs node-llama-cpp); messages back are `ModelChildMessage`s (`model-child-protocol.ts`).
 */
export type LlamaCppChildRequest =
  | { id: number; type: "load"; options: LlamaCppGeneratorOptions }
  /** Token counts of several texts at once. */
  | { id: number; type: "count"; texts: string[] }
  | { id: number; type: "countPrompt"; prompt: Pick<GenerateRequest, "system" | "messages"> }
  | { id: number; type: "generate"; request: Omit<GenerateRequest, "signal"> }
  /** Stops generation `id`, running or queued (no reply of its own: the generation's follows). */
  | { id: number; type: "stop" }
  | { id: number; type: "release" };

export interface LoadResult {
  /** The window node-llama-cpp fitted to free memory. */
  contextTokens: number;
}

export interface GenerateResult {
  /** Pieces sent before the generation ended. */
  pieces: number;
  /** Whether a `stop` ended it. */
  wasStopped: boolean;
}
