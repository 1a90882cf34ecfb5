import { inspectSignInLink } from "../../../../../lib/auth/sign-in-links";
import { toHttpResponse } from "../../../../../lib/http/error-response";
import { readJson } from "../../../../../lib/http/read-json";
import { guardPublicRoute } from "../../../../_server/authorize";
import { inspectLinkSchema } from "../../schema";

/** What a one-time link is for (set up the first admin, or sign a user in), without using it. */
export async function POST(request: Request): Promise<Response> {
  try {
    const folio = await guardPublicRoute(request);
    const { token } = await readJson(request, inspectLinkSchema);
    return Response.json(await inspectSignInLink(folio.database.db, token), {
      headers: { "cache-control": "no-store" },
    });
  } catch (error) {
    return toHttpResponse(error);
  }
}
