import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage, ServerResponse } from "node:http";
import { recordHttpResponse } from "./metrics";

const subscribedKey = Symbol.for("folio.http-responses");

/**
 * Counts every response this process's HTTP server finishes, by status. Node publishes each
 * finished response on the `http.server.response.finish` diagnostics channel with its final
 * status — after the route handler, Next's own 404s and redirects, and the proxy's 421s — which
 * neither proxy.ts (it runs before the route) nor a wrapper around each handler could see.
 * A response whose client hung up before it finished is not counted. Idempotent.
 */
export function countHttpResponses(): void {
  const holder = globalThis as typeof globalThis & { [subscribedKey]?: boolean };
  if (holder[subscribedKey]) return;
  holder[subscribedKey] = true;
  subscribe("http.server.response.finish", (message) => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    recordHttpResponse(response.statusCode, request.url ?? "/");
  });
}
