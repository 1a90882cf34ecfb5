import { toHttpResponse } from "../../../../../../../lib/http/error-response";
import { parseInput } from "../../../../../../../lib/http/parse-input";
import { pageGeometryHeaders, pngResponse } from "../../../../../../../lib/http/png-response";
import { readablePagePreview } from "../../../../../../../lib/previews/preview-access";
import { authorize } from "../../../../../../_server/authorize";
import { pageParamsSchema, pageQuerySchema } from "../schema";

/**
 * The page as a PNG (`?size=thumbnail|reading`, `&version=<id>` for an older version of the
 * document). Its size in the unit of the page's chunk boxes rides along in `X-Page-*` headers.
 */
export async function GET(
  request: Request,
  context: { params: Promise<{ documentId: string; pageNumber: string }> },
): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { documentId, pageNumber } = parseInput(pageParamsSchema, await context.params);
    const query = parseInput(pageQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
    const { filePath, geometry } = await readablePagePreview(folio, actor, {
      documentId,
      pageNumber,
      versionId: query.version,
      size: query.size,
    });
    return await pngResponse(filePath, {
      // A named version's page never changes; "the current version" may move on.
      maxAgeSeconds: query.version ? 86_400 : 300,
      headers: pageGeometryHeaders(geometry),
    });
  } catch (error) {
    return toHttpResponse(error);
  }
}
