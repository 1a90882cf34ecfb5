import { listThreads } from "../../../lib/conversations/thread-view";
import { toHttpResponse } from "../../../lib/http/error-response";
import { authorize } from "../../_server/authorize";

/** The caller's conversations, most recent first. */
export async function GET(request: Request): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    return Response.json({ threads: await listThreads(folio.database.db, actor) });
  } catch (error) {
    return toHttpResponse(error);
  }
}
