import { isDatabaseUnavailableError } from "../../db/errors";
import { AppError, asAppError, httpStatusOf, isAppError, toErrorBody } from "../errors";
import { getLogger } from "../observability/log";

/**
 * Any thrown value → an AppError, recognising a database that went away as a 503. An AppError
 * stays what it is even when its cause is a network error (an unreachable IdP is not the database).
 */
export function classifyError(error: unknown): AppError {
  if (isAppError(error)) return error;
  if (isDatabaseUnavailableError(error)) {
    return new AppError("unavailable:database", {
      message: "The database is unreachable right now; try again shortly.",
      retryAfterSeconds: 5,
      cause: error,
    });
  }
  return asAppError(error);
}

/** The one mapping from errors to HTTP: status by category, internals logged and hidden. */
export function toHttpResponse(error: unknown): Response {
  const appError = classifyError(error);
  // Faults an operator must act on: a bug, the database gone, the disk full.
  const isOperatorFault =
    appError.category === "internal" ||
    appError.category === "insufficient_storage" ||
    appError.code === "unavailable:database";
  if (isOperatorFault) {
    getLogger().error(`[http] ${appError.code}`, { error: appError.cause ?? appError });
  }
  const headers = new Headers({ "cache-control": "no-store" });
  if (appError.retryAfterSeconds !== undefined)
    headers.set("retry-after", String(appError.retryAfterSeconds));
  return Response.json(toErrorBody(appError), { status: httpStatusOf(appError), headers });
}
