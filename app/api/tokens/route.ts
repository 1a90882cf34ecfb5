import { z } from "zod";
import { listApiTokens } from "../../../db/queries/api-tokens";
import { issueApiToken, parseDuration } from "../../../lib/auth/api-tokens";
import { findUser } from "../../../lib/auth/manage-users";
import { AppError } from "../../../lib/errors";
import { toHttpResponse } from "../../../lib/http/error-response";
import { readJson } from "../../../lib/http/read-json";
import { authorize } from "../../_server/authorize";
import { tokenView } from "./token-view";

const createTokenSchema = z
  .object({ name: z.string().trim().min(1).max(100), expiresIn: z.string().max(10).optional() })
  .strict();

/** The caller's own API tokens (never the secrets). */
export async function GET(request: Request): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const rows = await listApiTokens({ db: folio.database.db, userId: actor.userId });
    return Response.json(
      { tokens: rows.map(({ token }) => tokenView(token)) },
      { headers: { "cache-control": "no-store" } },
    );
  } catch (error) {
    return toHttpResponse(error);
  }
}

/** A new token acting as the caller; the secret is in this response only. Signed-in sessions only. */
export async function POST(request: Request): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    // A token that could mint tokens would outlive its own expiry and revocation.
    if (actor.via !== "session") {
      throw new AppError("forbidden:token", { message: "Create API tokens from a signed-in session." });
    }
    const body = await readJson(request, createTokenSchema);
    const expiresInMs = body.expiresIn ? parseDuration(body.expiresIn) : undefined;
    const user = await findUser(folio.database.db, actor.userId);
    const { token, record } = await issueApiToken(folio.database.db, actor.userId, {
      user,
      name: body.name,
      expiresInMs,
    });
    return Response.json(
      { token, record: tokenView(record) },
      { status: 201, headers: { "cache-control": "no-store" } },
    );
  } catch (error) {
    return toHttpResponse(error);
  }
}
