import { type ErrorCode, isAppError } from "../errors";

/**
 * What every model child process (`llama-cpp-child.ts`, `llama-node-child.ts`) and its supervisor
 * (`model-child.ts`) exchange over IPC. Every request carries an id; the child answers each but
 * `stop` with one `reply` (a generation sends `token` messages before it). An error that was an
 * `AppError` in the child keeps its code, so the server sees `invalid:prompt_too_long` as such.
 */
export interface ModelChildRequest {
  id: number;
  type: string;
}

export type ModelChildMessage =
  | { type: "token"; id: number; token: string }
  | { type: "reply"; id: number; value: unknown }
  | { type: "reply"; id: number; error: string; code?: ErrorCode };

export function sendToParent(message: ModelChildMessage): void {
  process.send?.(message);
}

/**
 * Serves the parent's requests in the child: `stop` gets no reply of its own (the stopped request's
 * follows), `release` disconnects after its reply, and the child exits when the parent goes away.
 */
export function serveModelRequests<Request extends ModelChildRequest>(
  handle: (request: Request) => Promise<unknown>,
): void {
  process.on("message", (request: Request) => {
    handle(request).then(
      (value) => {
        if (request.type !== "stop") sendToParent({ type: "reply", id: request.id, value });
        if (request.type === "release") process.disconnect();
      },
      (error: unknown) => {
        if (request.type === "stop") return;
        const message = error instanceof Error ? error.message : String(error);
        sendToParent({
          type: "reply",
          id: request.id,
          error: message,
          ...(isAppError(error) ? { code: error.code } : {}),
        });
      },
    );
  });
  // The server went away: nothing is left to answer.
  process.on("disconnect", () => process.exit(0));
}
