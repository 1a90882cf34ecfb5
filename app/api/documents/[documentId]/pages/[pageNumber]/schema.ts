import { z } from "zod";

export const pageParamsSchema = z.object({
  documentId: z.uuid(),
  pageNumber: z.coerce.number().int().min(1).max(1_000_000),
});

/** `size` defaults to the reading size; `version` to the version the document currently serves. */
export const pageQuerySchema = z.object({
  size: z.enum(["thumbnail", "reading"]).default("reading"),
  version: z.uuid().optional(),
});
