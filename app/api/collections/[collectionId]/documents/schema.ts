import { z } from "zod";
import { AppError } from "../../../../../lib/errors";

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

/**
 * The password of an encrypted PDF, from the `X-PDF-Password` header, percent-encoded UTF-8
 * (`encodeURIComponent`) so any password survives HTTP. Never logged or stored.
 */
export function readPdfPassword(headers: Headers): string | undefined {
  const raw = headers.get("x-pdf-password");
  if (raw === null || raw === "") return undefined;
  let password: string;
  try {
    password = decodeURIComponent(raw);
  } catch {
    throw new AppError("invalid:request", {
      message: "The X-PDF-Password header must be percent-encoded UTF-8 (encodeURIComponent).",
    });
  }
  if (password.length > 1024) {
    throw new AppError("invalid:request", { message: "The PDF password is too long." });
  }
  return password;
}
