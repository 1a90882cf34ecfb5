import { toHttpResponse } from "../../../../../../../lib/http/error-response";
import { pageContentResponse } from "../../../../../../../lib/http/page-content-response";
import { parseInput } from "../../../../../../../lib/http/parse-input";
import { readablePagePreview } from "../../../../../../../lib/previews/preview-access";
import { authorize } from "../../../../../../_server/authorize";
import { pageParamsSchema, pageQuerySchema } from "../schema";

/**
 * The page as a PNG (`?size=thumbnail|reading`, `&version=<id>` for an older version of the
 * document). Its size in the unit of the page's chunk boxes rides along in `X-Page-*` headers.
 * A page of a text, Markdown, HTML or Office document is its text, as `text/plain`.
 */
export async function GET(
  request: Request,
  context: { params: Promise<{ documentId: string; pageNumber: string }> },
): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { documentId, pageNumber } = parseInput(pageParamsSchema, await context.params);
    const query = parseInput(pageQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
    const { content } = await readablePagePreview(folio, actor, {
      documentId,
      pageNumber,
      versionId: query.version,
      size: query.size,
    });
    return await pageContentResponse(content, {
      // A named version's page never changes; "the current version" may move on.
      maxAgeSeconds: query.version ? 86_400 : 300,
    });
  } catch (error) {
    return toHttpResponse(error);
  }
}
