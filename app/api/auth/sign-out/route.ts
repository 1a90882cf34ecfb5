import { endSession } from "../../../../lib/auth/sessions";
import { toHttpResponse } from "../../../../lib/http/error-response";
import { readCookie, sessionCookieName } from "../../../../lib/http/session-cookie";
import { guardPublicRoute } from "../../../_server/authorize";
import { withClearedSessionCookie } from "../../../_server/session-response";

/** Ends this session (works with an expired one too: the cookie is cleared either way). */
export async function POST(request: Request): Promise<Response> {
  try {
    const folio = await guardPublicRoute(request);
    const token = readCookie(request, sessionCookieName(folio.config));
    if (token) await endSession(folio.database.db, token);
    return withClearedSessionCookie(folio.config);
  } catch (error) {
    return toHttpResponse(error);
  }
}
