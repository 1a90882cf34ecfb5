import type { AnswerEvent } from "../../lib/domain/answer-events";

export interface ApiProblem {
  code: string;
  message: string;
  command?: string;
  /** Extra fields the route sent with the error (e.g. the documents a name conflict names). */
  details?: Record<string, unknown>;
  /** From `Retry-After` (429, 503). */
  retryAfterSeconds?: number;
}

export interface CollectionSummary {
  id: string;
  name: string;
  /** What the caller may do there: every listed collection is readable. */
  permission: "read" | "curate";
}

/** The error body every Folio route returns, made readable; never throws. */
export async function problemOf(response: Response): Promise<ApiProblem> {
  const retryAfter = Number.parseInt(response.headers.get("retry-after") ?? "", 10);
  const retryAfterSeconds = Number.isFinite(retryAfter) ? retryAfter : undefined;
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; details?: Record<string, unknown> };
    };
    const command = body.error?.details?.command;
    return {
      code: body.error?.code ?? `http_${response.status}`,
      message: body.error?.message ?? response.statusText,
      command: typeof command === "string" ? command : undefined,
      details: body.error?.details,
      retryAfterSeconds,
    };
  } catch {
    return {
      code: `http_${response.status}`,
      message: response.statusText || "Request failed",
      retryAfterSeconds,
    };
  }
}

/** A problem for a request that never got an answer (network down, server gone). */
export function networkProblem(error: unknown): ApiProblem {
  return {
    code: "network",
    message: error instanceof Error ? `The connection failed: ${error.message}` : "The connection failed.",
  };
}

/**
 * Calls a JSON route and returns its body; any failure (HTTP error or network) is thrown as an
 * ApiProblem, ready for ProblemNotice.
 */
export async function callApi<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    cache: "no-store",
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  }).catch((error: unknown) => {
    throw networkProblem(error);
  });
  if (!response.ok) throw await problemOf(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** Narrows a caught value to an ApiProblem (anything else becomes one). */
export function asProblem(error: unknown): ApiProblem {
  if (typeof error === "object" && error !== null && "code" in error && "message" in error) {
    return error as ApiProblem;
  }
  return { code: "client", message: error instanceof Error ? error.message : String(error) };
}

/** The collections the signed-in user may read (the server decides), each with their permission. */
export async function fetchCollections(): Promise<CollectionSummary[]> {
  return (await callApi<{ collections: CollectionSummary[] }>("GET", "/api/collections")).collections;
}

/** Reads a server-sent event stream of `data: <json>` frames. */
export async function* readAnswerEvents(response: Response): AsyncGenerator<AnswerEvent> {
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let boundary = buffer.indexOf("\n\n");
    while (boundary !== -1) {
      const frame = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const data = frame
        .split("\n")
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6))
        .join("\n");
      if (data) yield JSON.parse(data) as AnswerEvent;
      boundary = buffer.indexOf("\n\n");
    }
  }
}
