import { findUser } from "../../../../../../lib/auth/manage-users";
import { createSignInLink, signInLinkUrl } from "../../../../../../lib/auth/sign-in-links";
import { toHttpResponse } from "../../../../../../lib/http/error-response";
import { parseInput } from "../../../../../../lib/http/parse-input";
import { authorize } from "../../../../../_server/authorize";
import { userParamsSchema } from "../../../schema";

/** A fresh one-time sign-in link for a user (e.g. one who forgot their password). */
export async function POST(
  request: Request,
  context: { params: Promise<{ userId: string }> },
): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request, { roles: ["admin"] });
    const { userId } = parseInput(userParamsSchema, await context.params);
    const { db } = folio.database;
    const user = await findUser(db, userId);
    const token = await createSignInLink(db, user.id, actor.userId);
    return Response.json({ signInLink: signInLinkUrl(folio.config.web.publicUrl, "sign_in", token) });
  } catch (error) {
    return toHttpResponse(error);
  }
}
