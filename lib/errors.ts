/**
 * The one error type of Folio. A code is `<category>:<subject>` (e.g. `not_found:document`,
 * `invalid:pdf_encrypted`): the category is the code's own prefix, so the two can never disagree,
 * and it alone decides the HTTP status (the table below) and whether the error is logged as a
 * system fault. `cause` keeps the original error for logs and is never sent to clients.
 */
const statusByCategory = {
  invalid: 400, // the request or the file is wrong
  unauthorized: 401, // no valid session or token
  forbidden: 403, // signed in, but not allowed; or a cross-site request
  not_found: 404, // absent, or not visible to the caller (the two look the same)
  conflict: 409,
  misdirected: 421, // a Host this server does not answer for (DNS rebinding)
  too_large: 413,
  unsupported: 415,
  rate_limited: 429,
  internal: 500, // a bug or an unexpected fault
  unavailable: 503, // a dependency (database, model) is missing or down; retry later
  insufficient_storage: 507,
} as const;

export type ErrorCategory = keyof typeof statusByCategory;

/** Every subject an error can name; a new error adds its subject here. */
export type ErrorSubject =
  // HTTP input and the request boundary
  | "request"
  | "json"
  | "body"
  | "content_type"
  | "host"
  | "cross_site"
  | "identifier"
  // accounts, sessions, access
  | "session"
  | "credentials"
  | "token"
  | "link"
  | "oidc"
  | "oidc_not_configured"
  | "oidc_state"
  | "oidc_denied"
  | "oidc_claims"
  | "account_disabled"
  | "no_account"
  | "email_unverified"
  | "sign_in"
  | "role"
  | "grant"
  | "user"
  | "group"
  | "email_taken"
  | "group_name_taken"
  | "collection_name_taken"
  | "last_admin"
  // documents and ingest
  | "collection"
  | "document"
  | "document_name"
  | "version"
  | "chunk"
  | "answer"
  | "thread"
  | "audit_chain"
  | "answer_queue"
  | "upload"
  | "collection_quota"
  | "empty_file"
  | "file_type"
  | "sha256"
  | "pdf_encrypted"
  | "pdf_malformed"
  | "pdf_too_many_pages"
  | "pdf_out_of_memory"
  | "pdf_timeout"
  | "pdf_no_text"
  | "pdf_extractor"
  | "pdf_wrong_password"
  | "page_timeout"
  | "image_malformed"
  | "text_encoding"
  | "text_too_complex"
  | "no_text"
  | "legacy_office"
  | "office_encrypted"
  | "image_too_large"
  | "image_too_many_pages"
  | "document_too_many_pages"
  | "ocr_languages"
  | "ocr_engine"
  | "figure_name"
  | "page_number"
  | "preview"
  // Office documents (ingest/office)
  | "office_malformed"
  | "office_archive"
  | "office_zip_bomb"
  | "office_unsafe_name"
  | "xml_entities"
  | "office_timeout"
  | "office_out_of_memory"
  | "office_reader"
  | "unreadable_file"
  | "chunk_owner"
  | "legal_hold"
  | "job_lease"
  // golden questions
  | "golden_question"
  | "golden_run"
  // evaluation data sets (npm run eval)
  | "evaluation_data"
  // answering
  | "question_too_long"
  | "prompt_too_long"
  | "prompt_image"
  | "images_unsupported"
  | "too_many_images"
  | "audit"
  // models and stores
  | "generator_missing"
  | "embedder_missing"
  | "generator_load_failed"
  | "embedder_load_failed"
  | "generator_disposed"
  | "generator_unreachable"
  | "generator_response"
  | "embedder_disposed"
  | "reranker_missing"
  | "reranker_load_failed"
  | "embedding_dims_mismatch"
  | "model_spec"
  | "model_file"
  | "model_download_failed"
  | "model_access_denied"
  | "model_checksum_mismatch"
  | "database"
  | "storage_full"
  | "unexpected";

export type ErrorCode = `${ErrorCategory}:${ErrorSubject}`;

export interface AppErrorOptions {
  message?: string;
  cause?: unknown;
  /** Extra fields safe to show a client, e.g. `{ command: "npm run models -- pull …" }`. */
  details?: Record<string, unknown>;
  /** Seconds a client should wait before retrying (429/503). */
  retryAfterSeconds?: number;
}

/**
 * Marks AppErrors by a registered symbol rather than by class identity: Next.js may bundle this
 * module into several chunks, and an error thrown by one copy must still be recognised by another.
 */
const appErrorBrand = Symbol.for("folio.AppError");

export class AppError extends Error {
  readonly [appErrorBrand] = true;
  readonly code: ErrorCode;
  readonly category: ErrorCategory;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    super(options.message ?? code, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.category = categoryOf(code);
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

function categoryOf(code: ErrorCode): ErrorCategory {
  return code.slice(0, code.indexOf(":")) as ErrorCategory;
}

export function isAppError(error: unknown): error is AppError {
  return (
    typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[appErrorBrand] === true
  );
}

export function httpStatusOf(error: AppError): number {
  return statusByCategory[error.category];
}

/** The JSON body clients see for an error: never a stack trace or an internal message. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

export function toErrorBody(error: AppError): ErrorBody {
  const message = error.category === "internal" ? "Internal error" : error.message;
  return { error: { code: error.code, message, ...(error.details ? { details: error.details } : {}) } };
}

/** Wraps anything thrown into an AppError; unknown errors become `internal`. */
export function asAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  return new AppError("internal:unexpected", { cause: error });
}
