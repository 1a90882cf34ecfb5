/**
 * The one error type of Folio. `code` is `<kind>:<subject>` (e.g. `not_found:document`,
 * `pdf_encrypted:document`); `category` decides the HTTP status and whether it is logged as a
 * system fault; `cause` keeps the original error for logs and is never sent to clients.
 */
export type ErrorCategory =
  | "invalid" // 400: the request or file is wrong
  | "forbidden" // 403
  | "not_found" // 404
  | "conflict" // 409
  | "too_large" // 413
  | "unsupported" // 415
  | "rate_limited" // 429
  | "unavailable" // 503: a dependency (database, model) is missing or down; retry later
  | "internal"; // 500: a bug or an unexpected fault

export interface AppErrorOptions {
  category: ErrorCategory;
  message?: string;
  cause?: unknown;
  /** Extra fields safe to show a client, e.g. `{ command: "npm run models -- pull …" }`. */
  details?: Record<string, unknown>;
  /** Seconds a client should wait before retrying (503/429). */
  retryAfterSeconds?: number;
}

/**
 * Marks AppErrors by a registered symbol rather than by class identity: Next.js may bundle this
 * module into several chunks, and an error thrown by one copy must still be recognised by another.
 */
const appErrorBrand = Symbol.for("folio.AppError");

export class AppError extends Error {
  readonly [appErrorBrand] = true;
  readonly code: string;
  readonly category: ErrorCategory;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: string, options: AppErrorOptions) {
    super(options.message ?? code, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.category = options.category;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isAppError(error: unknown): error is AppError {
  return (
    typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[appErrorBrand] === true
  );
}

const statusByCategory: Record<ErrorCategory, number> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported: 415,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

export function httpStatusOf(error: AppError): number {
  return statusByCategory[error.category];
}

/** The JSON body clients see for an error: never a stack trace or an internal message. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export function toErrorBody(error: AppError): ErrorBody {
  const message = error.category === "internal" ? "Internal error" : error.message;
  return { error: { code: error.code, message, ...(error.details ? { details: error.details } : {}) } };
}

/** Wraps anything thrown into an AppError; unknown errors become `internal`. */
export function asAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  return new AppError("internal:unexpected", { category: "internal", cause: error });
}
