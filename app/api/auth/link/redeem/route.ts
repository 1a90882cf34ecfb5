import { redeemSignInLink } from "../../../../../lib/auth/sign-in-links";
import { toHttpResponse } from "../../../../../lib/http/error-response";
import { readJson } from "../../../../../lib/http/read-json";
import { clientAddress } from "../../../../../lib/http/request-boundary";
import { guardPublicRoute } from "../../../../_server/authorize";
import { signedInUserOf, withSessionCookie } from "../../../../_server/session-response";
import { redeemLinkSchema } from "../../schema";

/** Uses a one-time link: creates the first admin or signs the user in, and starts a session. */
export async function POST(request: Request): Promise<Response> {
  try {
    const folio = await guardPublicRoute(request);
    const body = await readJson(request, redeemLinkSchema);
    const { user, token } = await redeemSignInLink(folio.database.db, {
      ...body,
      password: body.password || undefined,
      policy: folio.config.sessions,
      address: clientAddress(request, folio.config.web),
    });
    return withSessionCookie(folio.config, token, { user: signedInUserOf(user) });
  } catch (error) {
    return toHttpResponse(error);
  }
}
