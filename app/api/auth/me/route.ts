import { toHttpResponse } from "../../../../lib/http/error-response";
import { authorize } from "../../../_server/authorize";

/** The signed-in caller (401 when there is none). */
export async function GET(request: Request): Promise<Response> {
  try {
    const { actor } = await authorize(request);
    const { via: _via, ...user } = actor;
    return Response.json({ user }, { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return toHttpResponse(error);
  }
}
