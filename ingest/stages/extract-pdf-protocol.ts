import { z } from "zod";

/*
 * Messages between the PDF extractor (extract-pdf.ts) and its child (extract-pdf-child.ts). The
 * child parses hostile files, so the parent validates everything it receives; the child validates
 * requests too (cheap, and keeps both ends honest).
 */

const boundingBoxSchema = z.tuple([z.number(), z.number(), z.number(), z.number()]).readonly();

const extractedPageSchema = z.object({
  pageNumber: z.number().int().positive(),
  width: z.number().nonnegative(),
  height: z.number().nonnegative(),
  items: z.array(
    z.object({
      text: z.string().min(1),
      box: boundingBoxSchema,
      fontName: z.string().max(256),
      fontSize: z.number().nonnegative(),
      hasEndOfLine: z.boolean(),
    }),
  ),
  blocks: z.array(
    z.object({ text: z.string(), box: boundingBoxSchema, lineCount: z.number().int().positive() }),
  ),
  isUnreadable: z.boolean(),
});

export const extractRequestSchema = z
  .object({
    type: z.literal("extract"),
    requestId: z.number().int().nonnegative(),
    filePath: z.string().min(1),
    maxPages: z.number().int().positive(),
  })
  .strict();

export type ExtractRequest = z.infer<typeof extractRequestSchema>;

/** Why the child gave up on a document; the parent turns it into an AppError. */
export const extractFailureReasonSchema = z.enum([
  "encrypted",
  "malformed",
  "empty",
  "too_many_pages",
  "out_of_memory",
  "unreadable_file",
  /** A bug in the child's own code. */
  "internal",
]);

export type ExtractFailureReason = z.infer<typeof extractFailureReasonSchema>;

const requestIdSchema = z.number().int().nonnegative();

export const childMessageSchema = z.discriminatedUnion("type", [
  /** Sent once, when pdf.js is loaded. */
  z.object({ type: z.literal("ready") }),
  /** The document opened and is within the page limit. */
  z.object({
    type: z.literal("opened"),
    requestId: requestIdSchema,
    pageCount: z.number().int().nonnegative(),
    title: z.string().max(1000).nullable(),
  }),
  z.object({ type: z.literal("page"), requestId: requestIdSchema, page: extractedPageSchema }),
  z.object({ type: z.literal("done"), requestId: requestIdSchema }),
  z.object({
    type: z.literal("failed"),
    requestId: requestIdSchema,
    reason: extractFailureReasonSchema,
    /** pdf.js's own message, for logs. */
    detail: z.string().max(2000),
    pageCount: z.number().int().nonnegative().optional(),
  }),
]);

export type ChildMessage = z.infer<typeof childMessageSchema>;
