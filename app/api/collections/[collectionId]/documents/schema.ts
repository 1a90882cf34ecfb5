import { z } from "zod";

export const collectionParamsSchema = z.object({ collectionId: z.uuid() });

/**
 * The file name travels in the query string (`?name=`); the body is the file's raw bytes. When
 * the name is taken, the upload is refused with 409 unless the client chose: `replace=<documentId>`
 * (a new version of that document) or `keepBoth=true` (a separate document).
 */
export const uploadQuerySchema = z
  .object({
    name: z.string().min(1).max(4096),
    replace: z.uuid().optional(),
    keepBoth: z.enum(["true", "false"]).optional(),
  })
  .refine((query) => !(query.replace && query.keepBoth === "true"), {
    message: "choose either replace or keepBoth, not both",
  });
