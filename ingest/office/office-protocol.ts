import { z } from "zod";

/*
 * Messages between the Office reader (office-reader.ts) and its child (office-child.ts). The
 * child converts hostile files, so the parent validates what it receives: shapes, and error
 * codes from a fixed list (a child cannot make the parent raise any other).
 */

export const officeReadRequestSchema = z
  .object({
    type: z.literal("read"),
    filePath: z.string().min(1),
    mediaType: z.string().min(1),
    maxUncompressedBytes: z.number().int().positive(),
  })
  .strict();
export type OfficeReadRequest = z.infer<typeof officeReadRequestSchema>;

/** The typed failures a child may report; anything else it hits is `internal:office_reader`. */
export const officeFailureCodes = [
  "invalid:office_malformed",
  "invalid:office_encrypted",
  "invalid:office_zip_bomb",
  "invalid:office_unsafe_name",
  "invalid:xml_entities",
  "invalid:no_text",
  "invalid:text_encoding",
  "invalid:text_too_complex",
  "too_large:office_archive",
  "unsupported:file_type",
  "internal:office_reader",
] as const;

const boxSchema = z.tuple([z.number(), z.number(), z.number(), z.number()]).readonly();

const blockSchema = z.object({
  kind: z.enum(["text", "heading", "table"]),
  text: z.string(),
  box: boxSchema,
  source: z.literal("text_layer"),
  confidence: z.null(),
  headingLevel: z.number().int().min(1).max(9).optional(),
  headingPath: z.array(z.string().max(1000)).max(20).optional(),
  table: z
    .object({
      rows: z.array(z.array(z.string())),
      headerRowCount: z.number().int().nonnegative(),
      caption: z.string().nullable(),
    })
    .optional(),
});

export const officePageSchema = z.object({
  pageNumber: z.number().int().positive(),
  label: z.string().max(1000).optional(),
  width: z.number().nonnegative(),
  height: z.number().nonnegative(),
  blocks: z.array(blockSchema),
  route: z.literal("text_layer"),
  isUnreadable: z.literal(false),
});

export const officeChildMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready") }),
  z.object({
    type: z.literal("opened"),
    pageCount: z.number().int().nonnegative(),
    title: z.string().max(1000).nullable(),
    hasMacros: z.boolean(),
  }),
  z.object({ type: z.literal("page"), page: officePageSchema }),
  z.object({ type: z.literal("done") }),
  z.object({
    type: z.literal("failed"),
    code: z.enum(officeFailureCodes),
    message: z.string().max(2000),
  }),
]);
export type OfficeChildMessage = z.infer<typeof officeChildMessageSchema>;
