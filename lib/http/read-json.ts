import type { z } from "zod";
import { AppError } from "../errors";
import { parseInput } from "./parse-input";

/** @default 64 KiB — every JSON body Folio takes is small. */
const defaultMaxBytes = 64 * 1024;

/**
 * Reads and validates a JSON body; a malformed, oversized or mistyped body is a 4xx with a reason.
 * The body must be declared `application/json`: a browser sends that cross-site only after a CORS
 * preflight Folio never grants, so a `text/plain` or form post from another site is refused here
 * even before the origin check.
 */
export async function readJson<Schema extends z.ZodType>(
  request: Request,
  schema: Schema,
  maxBytes = defaultMaxBytes,
): Promise<z.infer<Schema>> {
  const contentType = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (contentType !== "application/json") {
    throw new AppError("unsupported:content_type", {
      message: "This endpoint takes a JSON body (Content-Type: application/json).",
    });
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const text = await readCappedText(request, maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AppError("invalid:json", {
      message: "The request body is not valid JSON.",
      cause: error,
    });
  }
  return parseInput(schema, value);
}

/**
 * The body as UTF-8 text, read piece by piece and abandoned (the stream cancelled) as soon as it
 * passes `maxBytes`: a chunked body without Content-Length, or one that never ends, is never held
 * whole in memory.
 */
async function readCappedText(request: Request, maxBytes: number): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const pieces: Uint8Array[] = [];
  let byteCount = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    byteCount += value.byteLength;
    if (byteCount > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    pieces.push(value);
  }
  // As `request.text()` decodes: UTF-8, a leading BOM dropped, malformed bytes replaced.
  return new TextDecoder().decode(Buffer.concat(pieces));
}

function tooLarge(maxBytes: number): AppError {
  return new AppError("too_large:body", { message: `The request body exceeds ${maxBytes} bytes.` });
}
