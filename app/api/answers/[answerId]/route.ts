import { z } from "zod";
import { getAnswerWithCitations } from "../../../../db/queries/answers";
import { getAuditEventBySubject } from "../../../../db/queries/audit-events";
import { canReadAnswer } from "../../../../lib/access/answer-access";
import { AppError } from "../../../../lib/errors";
import { toHttpResponse } from "../../../../lib/http/error-response";
import { parseInput } from "../../../../lib/http/parse-input";
import { authorize } from "../../../_server/authorize";

const paramsSchema = z.object({ answerId: z.uuid() });

/** A stored answer with its citations and its audit record (payload as hashed). */
export async function GET(
  request: Request,
  context: { params: Promise<{ answerId: string }> },
): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { answerId } = parseInput(paramsSchema, await context.params);
    const { db } = folio.database;
    const found = await getAnswerWithCitations({ db, id: answerId });
    if (!found || !(await canReadAnswer(db, actor, found.answer))) {
      throw new AppError("not_found:answer", { message: "No such answer." });
    }
    const audit = await getAuditEventBySubject({ db, subject: `answer:${answerId}` });
    return Response.json({ ...found, audit });
  } catch (error) {
    return toHttpResponse(error);
  }
}
