import { z } from "zod";
import type { AnswerSearchFilters } from "../../../lib/answers/search-answers";

const isDateOnly = (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value);
const emptyAsAbsent = (value: unknown) => (value === "" ? undefined : value);

/** An ISO date (a whole day, UTC) or an ISO date-time with its offset. */
const dateBound = z.preprocess(
  emptyAsAbsent,
  z.union([z.iso.date(), z.iso.datetime({ offset: true })]).optional(),
);
const optionalText = (maxChars: number) =>
  z.preprocess(emptyAsAbsent, z.string().trim().min(1).max(maxChars).optional());
const isId = (value: string) => z.uuid().safeParse(value).success;

/** The auditor's answer search, as query parameters or inside an export request. */
export const searchFieldsSchema = {
  /** Part of the asker's email (or name). */
  user: optionalText(254),
  from: dateBound,
  /** A date alone includes that whole day; a date-time is the exclusive end. */
  to: dateBound,
  /** A collection's id, or part of its name. */
  collection: optionalText(200),
  /** A document's id, or part of its title. */
  document: optionalText(300),
  /** Part of the question or the answer. */
  q: optionalText(500),
};

export const answerSearchQuerySchema = z
  .object({ ...searchFieldsSchema, cursor: optionalText(200) })
  .strict();

type SearchFields = z.infer<z.ZodObject<typeof searchFieldsSchema>>;

/** The query's fields as lib's filters: a date-only `to` ends after that day. */
export function toSearchFilters(fields: SearchFields): AnswerSearchFilters {
  const from = fields.from ? new Date(fields.from) : undefined;
  let to = fields.to ? new Date(fields.to) : undefined;
  if (to && fields.to && isDateOnly(fields.to)) to = new Date(to.getTime() + 86_400_000);
  return {
    ...(fields.user ? { person: fields.user } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(fields.collection
      ? isId(fields.collection)
        ? { collectionId: fields.collection.toLowerCase() }
        : { collectionName: fields.collection }
      : {}),
    ...(fields.document
      ? isId(fields.document)
        ? { documentId: fields.document.toLowerCase() }
        : { documentTitle: fields.document }
      : {}),
    ...(fields.q ? { text: fields.q } : {}),
  };
}

export const answerParamsSchema = z.object({ answerId: z.uuid() });

export const sourceParamsSchema = z.object({
  answerId: z.uuid(),
  n: z.coerce.number().int().min(1).max(100_000),
});

export const sourcePageQuerySchema = z.object({ size: z.enum(["thumbnail", "reading"]).default("reading") });
