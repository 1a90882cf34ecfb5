import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local HTTP server that speaks the OpenAI-compatible protocol (`/v1/models`, `/tokenize`,
 * streaming `/v1/chat/completions`) as llama-server or vLLM would: a protocol peer whose
 * behaviour each test sets. It keeps every request it received.
 */
export type PeerHandler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface OpenAiPeer {
  /** The API root, e.g. `http://127.0.0.1:4321/v1`. */
  baseUrl: string;
  received: ReceivedRequest[];
  /** Handlers by `"<METHOD> <path>"`; anything else is 404. */
  routes: Record<string, PeerHandler>;
  close(): Promise<void>;
}

export async function startOpenAiPeer(routes: Record<string, PeerHandler> = {}): Promise<OpenAiPeer> {
  const received: ReceivedRequest[] = [];
  const peer = { routes, received } as OpenAiPeer;
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", () => {
      received.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body });
      const handler = peer.routes[`${request.method} ${request.url}`];
      if (handler) handler(request, body, response);
      else response.writeHead(404).end("not found");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  peer.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  peer.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return peer;
}

/** `/v1/models` listing one model with its window. */
export function modelsRoute(model = "gemma-4", maxModelLen = 8192): PeerHandler {
  return (_request, _body, response) =>
    sendJson(response, {
      object: "list",
      data: [{ id: model, object: "model", max_model_len: maxModelLen }],
    });
}

export function sendJson(response: ServerResponse, value: unknown, status = 200): void {
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
}

/** Writes `events` as server-sent events; ends the response unless `end: false`. */
export function streamEvents(
  response: ServerResponse,
  events: string[],
  options: { end?: boolean } = {},
): void {
  response.writeHead(200, { "content-type": "text/event-stream" });
  for (const event of events) response.write(`data: ${event}\n\n`);
  if (options.end !== false) response.end();
}

/** One streamed chat-completion chunk. */
export const delta = (content: string, finish: string | null = null) =>
  JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: finish }] });

/** A whole streamed answer: its pieces, then `stop` and `[DONE]`. */
export function answerEvents(...pieces: string[]): string[] {
  return [...pieces.map((piece) => delta(piece)), delta("", "stop"), "[DONE]"];
}
