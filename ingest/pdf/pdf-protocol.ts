import { z } from "zod";

/*
 * Messages between the PDF process pool (pdf-process-pool.ts) and its children (pdf-child.ts).
 * The child parses hostile files, so the parent validates everything it receives; the child
 * validates requests too (cheap, and keeps both ends honest).
 */

/** The largest page message the parent accepts; the child fits its pages to these (fit-page-message.ts). */
export const pageMessageLimits = {
  blockText: 20_000,
  blocks: 20_000,
  caption: 2000,
  tableCell: 5000,
  tableColumns: 200,
  tableRows: 5000,
  ocrTasks: 200,
} as const;

const boundingBoxSchema = z.tuple([z.number(), z.number(), z.number(), z.number()]).readonly();
const shortText = z.string().max(pageMessageLimits.blockText);
const caption = z.string().max(pageMessageLimits.caption).nullable();

const pageBlockSchema = z.object({
  kind: z.enum(["text", "heading", "table", "figure"]),
  text: shortText,
  box: boundingBoxSchema,
  source: z.enum(["text_layer", "ocr"]),
  confidence: z.number().min(0).max(1).nullable(),
  headingLevel: z.number().int().min(1).max(9).optional(),
  table: z
    .object({
      rows: z
        .array(z.array(z.string().max(pageMessageLimits.tableCell)).max(pageMessageLimits.tableColumns))
        .max(pageMessageLimits.tableRows),
      headerRowCount: z.number().int().nonnegative(),
      caption,
    })
    .optional(),
  figure: z
    .object({
      file: z.string().regex(/^[a-z0-9][a-z0-9-]{0,80}\.png$/),
      caption,
      widthPx: z.number().int().positive(),
      heightPx: z.number().int().positive(),
    })
    .optional(),
});

const extractedPageSchema = z.object({
  pageNumber: z.number().int().positive(),
  width: z.number().nonnegative(),
  height: z.number().nonnegative(),
  blocks: z.array(pageBlockSchema).max(pageMessageLimits.blocks),
  route: z.enum(["text_layer", "ocr", "mixed"]),
  isUnreadable: z.boolean(),
});

/**
 * A rendered region the parent must OCR: the whole page (its blocks replace the text layer's)
 * or one figure (its text joins the figure block's). `file` is a PNG the child wrote under the
 * request's work directory; `scale` is pixels per point, `region` the rendered area in points.
 */
const ocrTaskSchema = z.object({
  file: z.string().min(1),
  target: z.union([z.literal("page"), z.number().int().nonnegative()]),
  region: boundingBoxSchema,
  scale: z.number().positive(),
});

export type OcrTask = z.infer<typeof ocrTaskSchema>;

const passwordSchema = z.string().max(1024).optional();

export const extractRequestSchema = z
  .object({
    type: z.literal("extract"),
    requestId: z.number().int().nonnegative(),
    filePath: z.string().min(1),
    password: passwordSchema,
    maxPages: z.number().int().positive(),
    /** 1-based, inclusive; a last page beyond the document's end means "to the end". */
    firstPage: z.number().int().positive(),
    lastPage: z.number().int().positive(),
    /** Where figure crops go (`p<page>-f<n>.png`); null: figures are found but not written. */
    figureDirectory: z.string().min(1).nullable(),
    /** Where page renders for OCR go; the parent deletes them once read. */
    workDirectory: z.string().min(1),
  })
  .strict();

export const renderRequestSchema = z
  .object({
    type: z.literal("render"),
    requestId: z.number().int().nonnegative(),
    filePath: z.string().min(1),
    password: passwordSchema,
    pageNumber: z.number().int().positive(),
    /** Width in pixels of the rendered page. */
    widthPx: z.number().int().min(16).max(4000),
    outputPath: z.string().min(1),
  })
  .strict();

/** Forget the open document (the parent is done with it). */
export const closeRequestSchema = z.object({ type: z.literal("close") }).strict();

export const childRequestSchema = z.discriminatedUnion("type", [
  extractRequestSchema,
  renderRequestSchema,
  closeRequestSchema,
]);

export type ExtractRequest = z.infer<typeof extractRequestSchema>;
export type RenderRequest = z.infer<typeof renderRequestSchema>;
export type ChildRequest = z.infer<typeof childRequestSchema>;

/** Why the child gave up on a document; the parent turns it into an AppError. */
export const extractFailureReasonSchema = z.enum([
  "encrypted",
  "wrong_password",
  "malformed",
  "empty",
  "too_many_pages",
  "out_of_memory",
  "unreadable_file",
  "no_such_page",
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
  z.object({
    type: z.literal("page"),
    requestId: requestIdSchema,
    page: extractedPageSchema,
    ocr: z.array(ocrTaskSchema).max(pageMessageLimits.ocrTasks),
  }),
  z.object({ type: z.literal("done"), requestId: requestIdSchema }),
  z.object({
    type: z.literal("rendered"),
    requestId: requestIdSchema,
    widthPx: z.number().int().positive(),
    heightPx: z.number().int().positive(),
    /** The page's own size in PDF points (rotation applied): what chunk boxes are measured in. */
    pageWidth: z.number().positive(),
    pageHeight: z.number().positive(),
  }),
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
export type ChildPageMessage = Extract<ChildMessage, { type: "page" }>;
