import { z } from "zod";
import { toHttpResponse } from "../../../../../lib/http/error-response";
import { parseInput } from "../../../../../lib/http/parse-input";
import { readablePageLabels } from "../../../../../lib/previews/preview-access";
import { authorize } from "../../../../_server/authorize";

const paramsSchema = z.object({ documentId: z.uuid() });
/** `version` defaults to the version the document currently serves. */
const querySchema = z.object({ version: z.uuid().optional() });

/**
 * The pages of a document the caller may read, each with what the document calls it ("Slide 3:
 * Results", "Sheet: Revenue", a section heading) or null: what a page picker lists.
 */
export async function GET(
  request: Request,
  context: { params: Promise<{ documentId: string }> },
): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { documentId } = parseInput(paramsSchema, await context.params);
    const query = parseInput(querySchema, Object.fromEntries(new URL(request.url).searchParams));
    const { version, pages } = await readablePageLabels(folio, actor, {
      documentId,
      ...(query.version === undefined ? {} : { versionId: query.version }),
    });
    return Response.json(
      { documentId, versionId: version.id, pages },
      { headers: { "cache-control": "private, no-cache" } },
    );
  } catch (error) {
    return toHttpResponse(error);
  }
}
