import { z } from "zod";
import { requireCollection } from "../../../../lib/access/collection-access";
import { deleteDocuments } from "../../../../lib/documents/delete-documents";
import { toHttpResponse } from "../../../../lib/http/error-response";
import { parseInput } from "../../../../lib/http/parse-input";
import { authorize } from "../../../_server/authorize";

const paramsSchema = z.object({ collectionId: z.uuid() });
const querySchema = z.object({ erase: z.enum(["true", "false"]).optional() });

/**
 * Admins delete a whole collection: its documents, index rows, stored originals and grants.
 * `?erase=true` also removes its passages from the answers that used them (their hashes stay). A
 * collection under legal hold refuses (409).
 */
export async function DELETE(
  request: Request,
  context: { params: Promise<{ collectionId: string }> },
): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request, { roles: ["admin"] });
    const { collectionId } = parseInput(paramsSchema, await context.params);
    const { erase } = parseInput(querySchema, Object.fromEntries(new URL(request.url).searchParams));
    const { db } = folio.database;
    await requireCollection(db, actor, { collectionId, permission: "curate" });
    const result = await deleteDocuments(
      { db, store: await folio.store(), blobs: folio.blobs, derived: folio.derived },
      { actor: actor.userId, target: { collectionId }, erase: erase === "true" },
    );
    return Response.json(result);
  } catch (error) {
    return toHttpResponse(error);
  }
}
