import type { z } from "zod";
import { AppError } from "../errors";
import { parseInput } from "./parse-input";

/** @default 64 KiB — every JSON body Folio takes is small. */
const defaultMaxBytes = 64 * 1024;

/** Reads and validates a JSON body; a malformed, oversized or mistyped body is a 4xx with a reason. */
export async function readJson<Schema extends z.ZodType>(
  request: Request,
  schema: Schema,
  maxBytes = defaultMaxBytes,
): Promise<z.infer<Schema>> {
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
