import { z } from "zod";

export const feedbackParamsSchema = z.object({ answerId: z.uuid() });

/** Thumbs up (1) or down (-1), and an optional comment. */
export const feedbackSchema = z
  .object({
    rating: z.union([z.literal(1), z.literal(-1)]),
    comment: z.string().trim().max(2000).optional(),
  })
  .strict();
