import { listUsers } from "../../../../db/queries/users";
import { addUser } from "../../../../lib/auth/manage-users";
import { createSignInLink, signInLinkUrl } from "../../../../lib/auth/sign-in-links";
import { toHttpResponse } from "../../../../lib/http/error-response";
import { readJson } from "../../../../lib/http/read-json";
import { authorize } from "../../../_server/authorize";
import { addUserSchema } from "../schema";
import { userView } from "./user-view";

export async function GET(request: Request): Promise<Response> {
  try {
    const { folio } = await authorize(request, { roles: ["admin"] });
    const users = await listUsers({ db: folio.database.db });
    return Response.json({ users: users.map(userView) }, { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return toHttpResponse(error);
  }
}

/** Adds a user; without a password the response carries a one-time sign-in link to hand over. */
export async function POST(request: Request): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request, { roles: ["admin"] });
    const body = await readJson(request, addUserSchema);
    const { db } = folio.database;
    const user = await addUser(db, actor.userId, { ...body, password: body.password || undefined });
    const signInLink = body.password
      ? undefined
      : signInLinkUrl(
          folio.config.web.publicUrl,
          "sign_in",
          await createSignInLink(db, user.id, actor.userId),
        );
    return Response.json({ user: userView(user), signInLink }, { status: 201 });
  } catch (error) {
    return toHttpResponse(error);
  }
}
