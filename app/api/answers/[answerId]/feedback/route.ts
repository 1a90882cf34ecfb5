import { giveFeedback, readOwnFeedback } from "../../../../../lib/answers/feedback";
import { toHttpResponse } from "../../../../../lib/http/error-response";
import { parseInput } from "../../../../../lib/http/parse-input";
import { readJson } from "../../../../../lib/http/read-json";
import { authorize } from "../../../../_server/authorize";
import { feedbackParamsSchema, feedbackSchema } from "./schema";

type Context = { params: Promise<{ answerId: string }> };

/** The caller's own feedback on the answer (null before they gave any). */
export async function GET(request: Request, context: Context): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { answerId } = parseInput(feedbackParamsSchema, await context.params);
    const feedback = await readOwnFeedback(folio.database.db, actor, answerId);
    return Response.json({ feedback }, { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return toHttpResponse(error);
  }
}

/** Rates an answer the caller may read; a second rating replaces the first. Audited. */
export async function PUT(request: Request, context: Context): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { answerId } = parseInput(feedbackParamsSchema, await context.params);
    const body = await readJson(request, feedbackSchema);
    const feedback = await giveFeedback(folio.database.db, actor, answerId, body);
    return Response.json({ feedback });
  } catch (error) {
    return toHttpResponse(error);
  }
}
