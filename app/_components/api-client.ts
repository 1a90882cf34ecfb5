import type { AnswerEvent } from "../../lib/domain/answer-events";

export interface ApiProblem {
  code: string;
  message: string;
  command?: string;
}

export interface CollectionSummary {
  id: string;
  name: string;
}

/** The error body every Folio route returns, made readable; never throws. */
export async function problemOf(response: Response): Promise<ApiProblem> {
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; details?: { command?: string } };
    };
    return {
      code: body.error?.code ?? `http_${response.status}`,
      message: body.error?.message ?? response.statusText,
      command: body.error?.details?.command,
    };
  } catch {
    return { code: `http_${response.status}`, message: response.statusText || "Request failed" };
  }
}

export async function fetchCollections(): Promise<CollectionSummary[]> {
  const response = await fetch("/api/collections", { cache: "no-store" });
  if (!response.ok) throw await problemOf(response);
  return ((await response.json()) as { collections: CollectionSummary[] }).collections;
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
