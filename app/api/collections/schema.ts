import { z } from "zod";

export const createCollectionSchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
      .regex(/^[^\u0000-\u001f\u007f]+$/, "must not contain control characters"),
    description: z.string().max(1000).optional(),
  })
  .strict();
