import { listGroupsWithMembers } from "../../../../db/queries/groups";
import { createGroup } from "../../../../lib/access/manage-access";
import { toHttpResponse } from "../../../../lib/http/error-response";
import { readJson } from "../../../../lib/http/read-json";
import { authorize } from "../../../_server/authorize";
import { createGroupSchema } from "../schema";

export async function GET(request: Request): Promise<Response> {
  try {
    const { folio } = await authorize(request, { roles: ["admin"] });
    return Response.json(
      { groups: await listGroupsWithMembers({ db: folio.database.db }) },
      { headers: { "cache-control": "no-store" } },
    );
  } catch (error) {
    return toHttpResponse(error);
  }
}

export async function POST(request: Request): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request, { roles: ["admin"] });
    const body = await readJson(request, createGroupSchema);
    const group = await createGroup(folio.database.db, actor.userId, body);
    return Response.json({ group }, { status: 201 });
  } catch (error) {
    return toHttpResponse(error);
  }
}
