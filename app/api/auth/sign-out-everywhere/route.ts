import { endAllSessions } from "../../../../lib/auth/sessions";
import { toHttpResponse } from "../../../../lib/http/error-response";
import { authorize } from "../../../_server/authorize";
import { withClearedSessionCookie } from "../../../_server/session-response";

/** Ends every session of the caller, on every device. */
export async function POST(request: Request): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    await endAllSessions(folio.database.db, actor.userId);
    return withClearedSessionCookie(folio.config);
  } catch (error) {
    return toHttpResponse(error);
  }
}
