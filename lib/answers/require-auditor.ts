import type { Actor } from "../domain/actor";
import { AppError } from "../errors";

/**
 * The audit workspace is the auditor's alone. To anyone else its routes look like nothing is
 * there (404), as another person's answer does: they learn neither that it exists nor who may use it.
 */
export function requireAuditor(actor: Actor): void {
  if (actor.role !== "auditor") throw new AppError("not_found:audit", { message: "Not found." });
}
