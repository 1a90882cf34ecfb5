import { toHttpResponse } from "../../../../lib/http/error-response";
import { guardPublicRoute } from "../../../_server/authorize";

/** What the sign-in page offers: password always, single sign-on when OIDC is configured. */
export async function GET(request: Request): Promise<Response> {
  try {
    const folio = await guardPublicRoute(request);
    const { oidc } = folio.config;
    return Response.json(
      { oidc: oidc ? { label: oidc.buttonLabel } : null },
      { headers: { "cache-control": "no-store" } },
    );
  } catch (error) {
    return toHttpResponse(error);
  }
}
