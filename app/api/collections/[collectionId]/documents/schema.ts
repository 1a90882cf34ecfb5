import { z } from "zod";

export const collectionParamsSchema = z.object({ collectionId: z.uuid() });

/** The file name travels in the query string (`?name=`); the body is the file's raw bytes. */
export const uploadQuerySchema = z.object({ name: z.string().min(1).max(4096) });
