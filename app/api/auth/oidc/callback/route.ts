import { finishOidcSignIn, oidcSignInErrorCode } from "../../../../../lib/auth/oidc-sign-in";
import { toHttpResponse } from "../../../../../lib/http/error-response";
import { clearedOidcStateCookie, oidcStateCookieName } from "../../../../../lib/http/oidc-state-cookie";
import { clientAddress } from "../../../../../lib/http/request-boundary";
import { readCookie, sessionCookie } from "../../../../../lib/http/session-cookie";
import { guardPublicRoute } from "../../../../_server/authorize";
import { redirectToSignInError } from "../../../../_server/oidc-redirect";

/**
 * The redirect URI the IdP sends the browser back to: on success a new session cookie and a 302
 * to the path the sign-in started from; on any failure a 302 to `/sign-in?error=<code>`.
 */
export async function GET(request: Request): Promise<Response> {
  let folio: Awaited<ReturnType<typeof guardPublicRoute>>;
  try {
    folio = await guardPublicRoute(request);
  } catch (error) {
    return toHttpResponse(error);
  }
  const { config } = folio;
  try {
    const { token, returnTo } = await finishOidcSignIn(folio.database.db, config, {
      callbackParams: new URL(request.url).searchParams,
      stateCookie: readCookie(request, oidcStateCookieName(config)),
      address: clientAddress(request, config.web),
    });
    const headers = new Headers({
      location: new URL(returnTo, config.web.publicUrl).href,
      "cache-control": "no-store",
    });
    headers.append("set-cookie", sessionCookie(config, token));
    headers.append("set-cookie", clearedOidcStateCookie(config));
    return new Response(null, { status: 302, headers });
  } catch (error) {
    return redirectToSignInError(config, oidcSignInErrorCode(error), error);
  }
}
