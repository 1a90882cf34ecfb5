import type { z } from "zod";
import { AppError } from "../errors";

/** Validates route params or query values; failures are a 400 naming the field. */
export function parseInput<Schema extends z.ZodType>(schema: Schema, value: unknown): z.infer<Schema> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "input"}: ${issue.message}`,
    );
    throw new AppError("invalid:request", {
      message: problems.join("; "),
    });
  }
  return parsed.data;
}
