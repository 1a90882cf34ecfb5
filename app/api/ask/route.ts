import { localActor, readableCollectionIds } from "../../../lib/access/readable-collections";
import { startAnswer } from "../../../lib/answer/start-answer";
import { toHttpResponse } from "../../../lib/http/error-response";
import { readJson } from "../../../lib/http/read-json";
import { getFolio } from "../../_server/folio";
import { sseResponse } from "../../_server/sse";
import { askSchema } from "./schema";

/** Ask a question; the answer streams back as server-sent `AnswerEvent`s. */
export async function POST(request: Request): Promise<Response> {
  try {
    const body = await readJson(request, askSchema);
    const folio = await getFolio();
    const collectionIds = await readableCollectionIds({
      db: folio.database.db,
      actor: localActor,
      requested: body.collectionIds,
    });
    const events = await startAnswer(folio, {
      question: body.question,
      collectionIds,
      actor: localActor,
      signal: request.signal,
    });
    return sseResponse(events);
  } catch (error) {
    return toHttpResponse(error);
  }
}
