import { z } from "zod";
import { auditExportAnswerIdsSchema } from "../../../../lib/answers/export-for-audit";
import { searchFieldsSchema } from "../schema";

/** Chosen answers (`answerIds`), or the fields of an answer search (`from`, `to`, `collection` …). */
export const exportBodySchema = z
  .object({ answerIds: auditExportAnswerIdsSchema.optional(), ...searchFieldsSchema })
  .strict();
