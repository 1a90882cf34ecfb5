import { z } from "zod";

export const searchSchema = z
  .object({
    query: z.string().trim().min(1).max(4000),
    collectionIds: z.array(z.uuid()).max(200).optional(),
    mode: z.enum(["hybrid", "vector", "text"]).default("hybrid"),
    limit: z.number().int().min(1).max(100).default(10),
  })
  .strict();
