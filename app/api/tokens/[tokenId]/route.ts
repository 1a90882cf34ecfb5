import { z } from "zod";
import { revokeApiToken } from "../../../../db/queries/api-tokens";
import { appendAuditEvent } from "../../../../lib/audit/append-audit-event";
import { AppError } from "../../../../lib/errors";
import { toHttpResponse } from "../../../../lib/http/error-response";
import { parseInput } from "../../../../lib/http/parse-input";
import { authorize } from "../../../_server/authorize";

const paramsSchema = z.object({ tokenId: z.uuid() });

/** Revokes one of the caller's own tokens; it stops working on its next use. */
export async function DELETE(
  request: Request,
  context: { params: Promise<{ tokenId: string }> },
): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { tokenId } = parseInput(paramsSchema, await context.params);
    await folio.database.db.transaction(async (tx) => {
      const revoked = await revokeApiToken({ db: tx, idOrPrefix: tokenId, userId: actor.userId });
      if (!revoked) throw new AppError("not_found:token", { message: "No such token." });
      await appendAuditEvent(tx, {
        actor: actor.userId,
        action: "token.revoke",
        subject: `token:${revoked.id}`,
        payload: { userId: revoked.userId, name: revoked.name },
      });
    });
    return new Response(null, { status: 204 });
  } catch (error) {
    return toHttpResponse(error);
  }
}
