import { oidcSignInErrorCode, startOidcSignIn } from "../../../../../lib/auth/oidc-sign-in";
import { isAppError } from "../../../../../lib/errors";
import { toHttpResponse } from "../../../../../lib/http/error-response";
import { oidcStateCookie } from "../../../../../lib/http/oidc-state-cookie";
import { guardPublicRoute } from "../../../../_server/authorize";
import { redirectToSignInError } from "../../../../_server/oidc-redirect";

/**
 * The sign-in button's target: `?returnTo=<path>` → 302 to the IdP, with the state cookie that
 * binds the flow to this browser. Not configured → 404; IdP unreachable → back to the sign-in
 * page with `?error=oidc_unavailable`.
 */
export async function GET(request: Request): Promise<Response> {
  let folio: Awaited<ReturnType<typeof guardPublicRoute>>;
  try {
    folio = await guardPublicRoute(request);
  } catch (error) {
    return toHttpResponse(error);
  }
  try {
    const returnTo = new URL(request.url).searchParams.get("returnTo");
    const { authorizationUrl, state } = await startOidcSignIn(folio.database.db, folio.config, { returnTo });
    return new Response(null, {
      status: 302,
      headers: {
        location: authorizationUrl,
        "set-cookie": oidcStateCookie(folio.config, state),
        "cache-control": "no-store",
      },
    });
  } catch (error) {
    if (isAppError(error) && error.code === "not_found:oidc_not_configured") return toHttpResponse(error);
    return redirectToSignInError(folio.config, oidcSignInErrorCode(error), error);
  }
}
