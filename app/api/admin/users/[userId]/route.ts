import { changeUser } from "../../../../../lib/auth/manage-users";
import { toHttpResponse } from "../../../../../lib/http/error-response";
import { parseInput } from "../../../../../lib/http/parse-input";
import { readJson } from "../../../../../lib/http/read-json";
import { authorize } from "../../../../_server/authorize";
import { changeUserSchema, userParamsSchema } from "../../schema";
import { userView } from "../user-view";

/** Changes a user's role, or disables / re-enables the account (disabling ends its sessions at once). */
export async function PATCH(
  request: Request,
  context: { params: Promise<{ userId: string }> },
): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request, { roles: ["admin"] });
    const { userId } = parseInput(userParamsSchema, await context.params);
    const body = await readJson(request, changeUserSchema);
    const user = await changeUser(folio.database.db, actor.userId, userId, {
      role: body.role,
      isDisabled: body.disabled,
    });
    return Response.json({ user: userView(user) });
  } catch (error) {
    return toHttpResponse(error);
  }
}
