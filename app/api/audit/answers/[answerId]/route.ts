import { auditAnswer } from "../../../../../lib/answers/audit-answer";
import { toHttpResponse } from "../../../../../lib/http/error-response";
import { parseInput } from "../../../../../lib/http/parse-input";
import { authorize } from "../../../../_server/authorize";
import { answerParamsSchema } from "../../schema";

/**
 * Auditors only (anyone else: 404). One answer with its passages exactly as sent and their hash
 * checks, the state of the cited versions, its ledger event and checks, model, parameters, feedback.
 */
export async function GET(
  request: Request,
  context: { params: Promise<{ answerId: string }> },
): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { answerId } = parseInput(answerParamsSchema, await context.params);
    const audit = await auditAnswer(folio.database.db, actor, answerId);
    return Response.json({ audit }, { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return toHttpResponse(error);
  }
}
