import { signInWithPassword } from "../../../../lib/auth/password-sign-in";
import { toHttpResponse } from "../../../../lib/http/error-response";
import { readJson } from "../../../../lib/http/read-json";
import { clientAddress } from "../../../../lib/http/request-boundary";
import { guardPublicRoute } from "../../../_server/authorize";
import { signedInUserOf, withSessionCookie } from "../../../_server/session-response";
import { signInSchema } from "../schema";

/** Email + password → a new session cookie (a fresh id: any session id brought along is ignored). */
export async function POST(request: Request): Promise<Response> {
  try {
    const folio = await guardPublicRoute(request);
    const body = await readJson(request, signInSchema);
    const { user, token } = await signInWithPassword(folio.database.db, {
      ...body,
      address: clientAddress(request, folio.config.web),
      policy: folio.config.sessions,
    });
    return withSessionCookie(folio.config, token, { user: signedInUserOf(user) });
  } catch (error) {
    return toHttpResponse(error);
  }
}
