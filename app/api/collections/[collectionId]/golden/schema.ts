import { z } from "zod";
import { maxGoldenQuestionLength } from "../../../../../lib/golden/manage-golden-questions";

export const goldenParamsSchema = z.object({ collectionId: z.uuid() });
export const goldenQuestionParamsSchema = z.object({ collectionId: z.uuid(), questionId: z.uuid() });

/** A golden question: its text, the document that should answer it and, optionally, the page (1-based). */
export const goldenQuestionSchema = z
  .object({
    question: z.string().trim().min(1).max(maxGoldenQuestionLength),
    documentId: z.uuid(),
    page: z.number().int().min(1).max(100_000).nullable().optional(),
  })
  .strict();
