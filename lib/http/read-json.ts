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
  if (declared > maxBytes) {
    throw new AppError("too_large:body", {
      message: `The request body exceeds ${maxBytes} bytes.`,
    });
  }
  const text = await request.text();
  if (text.length > maxBytes) {
    throw new AppError("too_large:body", {
      message: `The request body exceeds ${maxBytes} bytes.`,
    });
  }
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
