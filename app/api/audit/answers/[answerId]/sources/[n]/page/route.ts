import { auditedSourcePage } from "../../../../../../../../lib/answers/audited-source-page";
import { toHttpResponse } from "../../../../../../../../lib/http/error-response";
import { pageContentInfo } from "../../../../../../../../lib/http/page-content-response";
import { parseInput } from "../../../../../../../../lib/http/parse-input";
import { authorize } from "../../../../../../../_server/authorize";
import { sourcePageQuerySchema, sourceParamsSchema } from "../../../../../schema";

/**
 * Auditors only. What a viewer needs to draw passage `n`'s page and outline the passage on it
 * (the page's size in its boxes' unit, the preview's pixel size) and the preview's URL.
 */
export async function GET(
  request: Request,
  context: { params: Promise<{ answerId: string; n: string }> },
): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { answerId, n } = parseInput(sourceParamsSchema, await context.params);
    const query = parseInput(sourcePageQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
    const { content, version } = await auditedSourcePage(folio, actor, { answerId, n, size: query.size });
    return Response.json(
      {
        ...pageContentInfo(content),
        versionId: version.id,
        previewUrl: `/api/audit/answers/${answerId}/sources/${n}/preview?size=${query.size}`,
      },
      { headers: { "cache-control": "private, no-cache" } },
    );
  } catch (error) {
    return toHttpResponse(error);
  }
}
