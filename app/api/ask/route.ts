import { readableCollectionIds } from "../../../lib/access/collection-access";
import { startAnswer } from "../../../lib/answer/start-answer";
import { loadThreadContext } from "../../../lib/conversations/thread-context";
import { toHttpResponse } from "../../../lib/http/error-response";
import { readJson } from "../../../lib/http/read-json";
import { authorize } from "../../_server/authorize";
import { sseResponse } from "../../_server/sse";
import { askSchema } from "./schema";

/** Ask a question over the collections the caller may read; the answer streams as `AnswerEvent`s. */
export async function POST(request: Request): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const body = await readJson(request, askSchema);
    const collectionIds = await readableCollectionIds(folio.database.db, actor, body.collectionIds);
    const thread = await loadThreadContext(folio.database.db, {
      ownerId: actor.userId,
      threadId: body.threadId,
    });
    const events = await startAnswer(folio, {
      question: body.question,
      thread,
      collectionIds,
      actor: actor.userId,
      signal: request.signal,
    });
    return sseResponse(events);
  } catch (error) {
    return toHttpResponse(error);
  }
}
