export type ModelKind = "generator" | "embedder" | "reranker";

export interface ModelAvailability {
  kind: ModelKind;
  isReady: boolean;
  /** Why not, and the command that fixes it. */
  problem?: { code: string; message: string; command?: string };
}
