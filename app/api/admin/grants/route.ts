import { listGrants } from "../../../../db/queries/grants";
import { grantCollection, revokeCollection } from "../../../../lib/access/manage-access";
import { toHttpResponse } from "../../../../lib/http/error-response";
import { readJson } from "../../../../lib/http/read-json";
import { authorize } from "../../../_server/authorize";
import { grantSchema, revokeSchema } from "../schema";

export async function GET(request: Request): Promise<Response> {
  try {
    const { folio } = await authorize(request, { roles: ["admin"] });
    return Response.json(
      { grants: await listGrants({ db: folio.database.db }) },
      { headers: { "cache-control": "no-store" } },
    );
  } catch (error) {
    return toHttpResponse(error);
  }
}

/** Grants read or curate on a collection to a user or a group (replacing what they had there). */
export async function PUT(request: Request): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request, { roles: ["admin"] });
    const body = await readJson(request, grantSchema);
    await grantCollection(folio.database.db, actor.userId, body);
    return Response.json({ granted: true });
  } catch (error) {
    return toHttpResponse(error);
  }
}

/** Revokes a grant; the grantee loses access on their next request. */
export async function DELETE(request: Request): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request, { roles: ["admin"] });
    const body = await readJson(request, revokeSchema);
    const revoked = await revokeCollection(folio.database.db, actor.userId, body);
    return Response.json({ revoked });
  } catch (error) {
    return toHttpResponse(error);
  }
}
