import { access } from "node:fs/promises";
import type { FolioConfig } from "../config";
import { AppError } from "../errors";
import { describeMissingModel, type ModelKind } from "./catalog";

/**
 * Throws `unavailable:<kind>_missing` — with the command that fetches it, or how to copy it in —
 * when the configured model's file or directory is not there.
 */
export async function requireModel(kind: ModelKind, modelPath: string, config: FolioConfig): Promise<void> {
  const isPresent = await access(modelPath).then(
    () => true,
    () => false,
  );
  if (isPresent) return;
  const missing = describeMissingModel(kind, config);
  throw new AppError(`unavailable:${kind}_missing`, {
    message: missing.message,
    details: { command: missing.command, path: missing.path },
    retryAfterSeconds: 60,
  });
}
