import { z } from "zod";
import { revokeApiTokenRecorded } from "../../../../lib/auth/api-tokens";
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
    await revokeApiTokenRecorded(folio.database.db, actor.userId, {
      idOrPrefix: tokenId,
      userId: actor.userId,
    });
    return new Response(null, { status: 204 });
  } catch (error) {
    return toHttpResponse(error);
  }
}
