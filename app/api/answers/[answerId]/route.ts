import { z } from "zod";
import { getAnswerWithCitations } from "../../../../db/queries/answers";
import { getAuditEventBySubject } from "../../../../db/queries/audit-events";
import { localActor, readableCollectionIds } from "../../../../lib/access/readable-collections";
import { AppError } from "../../../../lib/errors";
import { toHttpResponse } from "../../../../lib/http/error-response";
import { parseInput } from "../../../../lib/http/parse-input";
import { getFolio } from "../../../_server/folio";

const paramsSchema = z.object({ answerId: z.uuid() });

/** A stored answer with its citations and its audit record (payload as hashed). */
export async function GET(
  _request: Request,
  context: { params: Promise<{ answerId: string }> },
): Promise<Response> {
  try {
    const { answerId } = parseInput(paramsSchema, await context.params);
    const folio = await getFolio();
    const { db } = folio.database;
    const found = await getAnswerWithCitations({ db, id: answerId });
    const readable = new Set(await readableCollectionIds({ db, actor: localActor }));
    const isVisible =
      found &&
      found.answer.actor === localActor &&
      found.answer.collectionIds.every((id) => readable.has(id));
    if (!found || !isVisible)
      throw new AppError("not_found:answer", {
        message: "No such answer.",
      });
    const audit = await getAuditEventBySubject({ db, subject: `answer:${answerId}` });
    return Response.json({ ...found, audit });
  } catch (error) {
    return toHttpResponse(error);
  }
}
