import { removeGroup } from "../../../../../lib/access/manage-access";
import { toHttpResponse } from "../../../../../lib/http/error-response";
import { parseInput } from "../../../../../lib/http/parse-input";
import { authorize } from "../../../../_server/authorize";
import { groupParamsSchema } from "../../schema";

/** Deletes a group; its members lose what it granted on their next request. */
export async function DELETE(
  request: Request,
  context: { params: Promise<{ groupId: string }> },
): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request, { roles: ["admin"] });
    const { groupId } = parseInput(groupParamsSchema, await context.params);
    await removeGroup(folio.database.db, actor.userId, groupId);
    return new Response(null, { status: 204 });
  } catch (error) {
    return toHttpResponse(error);
  }
}
