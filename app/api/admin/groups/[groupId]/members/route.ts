import { findGroup, setGroupMembership } from "../../../../../../lib/access/manage-access";
import { findUser } from "../../../../../../lib/auth/manage-users";
import { toHttpResponse } from "../../../../../../lib/http/error-response";
import { parseInput } from "../../../../../../lib/http/parse-input";
import { readJson } from "../../../../../../lib/http/read-json";
import { authorize } from "../../../../../_server/authorize";
import { groupParamsSchema, membershipSchema } from "../../../schema";

type Context = { params: Promise<{ groupId: string }> };

async function changeMembership(request: Request, context: Context, isMember: boolean): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request, { roles: ["admin"] });
    const { groupId } = parseInput(groupParamsSchema, await context.params);
    const { userId } = await readJson(request, membershipSchema);
    const { db } = folio.database;
    const [group, user] = [await findGroup(db, groupId), await findUser(db, userId)];
    const changed = await setGroupMembership(db, actor.userId, {
      groupId: group.id,
      userId: user.id,
      isMember,
    });
    return Response.json({ changed });
  } catch (error) {
    return toHttpResponse(error);
  }
}

export function POST(request: Request, context: Context): Promise<Response> {
  return changeMembership(request, context, true);
}

export function DELETE(request: Request, context: Context): Promise<Response> {
  return changeMembership(request, context, false);
}
