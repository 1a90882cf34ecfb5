import { z } from "zod";
import { requireDocument } from "../../../../lib/access/collection-access";
import { deleteDocuments } from "../../../../lib/documents/delete-documents";
import { toHttpResponse } from "../../../../lib/http/error-response";
import { parseInput } from "../../../../lib/http/parse-input";
import { authorize } from "../../../_server/authorize";

const paramsSchema = z.object({ documentId: z.uuid() });
const querySchema = z.object({ erase: z.enum(["true", "false"]).optional() });

/**
 * Admins and the collection's curators delete a document: every version, its index rows and
 * originals. `?erase=true` also removes its passages from the answers that used them (their hashes
 * stay); otherwise answers keep what the model read. A collection under legal hold refuses (409).
 */
export async function DELETE(
  request: Request,
  context: { params: Promise<{ documentId: string }> },
): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { documentId } = parseInput(paramsSchema, await context.params);
    const { erase } = parseInput(querySchema, Object.fromEntries(new URL(request.url).searchParams));
    const { db } = folio.database;
    await requireDocument(db, actor, { documentId, permission: "curate" });
    const result = await deleteDocuments(
      { db, store: await folio.store(), blobs: folio.blobs, derived: folio.derived },
      { actor: actor.userId, target: { documentId }, erase: erase === "true" },
    );
    return Response.json(result);
  } catch (error) {
    return toHttpResponse(error);
  }
}
