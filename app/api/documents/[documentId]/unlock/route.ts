import { z } from "zod";
import { requireDocument } from "../../../../../lib/access/collection-access";
import { toHttpResponse } from "../../../../../lib/http/error-response";
import { parseInput } from "../../../../../lib/http/parse-input";
import { readJson } from "../../../../../lib/http/read-json";
import { authorize } from "../../../../_server/authorize";

const paramsSchema = z.object({ documentId: z.uuid() });
const bodySchema = z.object({ versionId: z.uuid(), password: z.string().min(1).max(1024) }).strict();

/**
 * The password of a PDF that failed as password-protected: its version is read again, the
 * password held in this server's memory only until then. Curators of the collection only.
 */
export async function POST(
  request: Request,
  context: { params: Promise<{ documentId: string }> },
): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { documentId } = parseInput(paramsSchema, await context.params);
    const { versionId, password } = await readJson(request, bodySchema);
    await requireDocument(folio.database.db, actor, { documentId, permission: "curate" });
    const { jobId } = await folio.ingest.unlock({ documentId, versionId, password });
    return Response.json({ jobId }, { status: 202 });
  } catch (error) {
    return toHttpResponse(error);
  }
}
