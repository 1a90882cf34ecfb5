import { searchAnswersForAudit } from "../../../../lib/answers/search-answers";
import { toHttpResponse } from "../../../../lib/http/error-response";
import { parseInput } from "../../../../lib/http/parse-input";
import { authorize } from "../../../_server/authorize";
import { answerSearchQuerySchema, toSearchFilters } from "../schema";

/**
 * Auditors only (anyone else: 404). Everyone's answers by asker, date range, collection, document
 * and text (`?user=&from=&to=&collection=&document=&q=`), newest first; `cursor` pages on.
 */
export async function GET(request: Request): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const query = parseInput(answerSearchQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
    const page = await searchAnswersForAudit(folio.database.db, actor, {
      filters: toSearchFilters(query),
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
    return Response.json(page, { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return toHttpResponse(error);
  }
}
