import { auditedSourcePage } from "../../../../../../../../lib/answers/audited-source-page";
import { toHttpResponse } from "../../../../../../../../lib/http/error-response";
import { pageContentResponse } from "../../../../../../../../lib/http/page-content-response";
import { parseInput } from "../../../../../../../../lib/http/parse-input";
import { authorize } from "../../../../../../../_server/authorize";
import { sourcePageQuerySchema, sourceParamsSchema } from "../../../../../schema";

/**
 * Auditors only (anyone else: 404). The page passage `n` of the answer came from, in the version
 * the model was shown, as a PNG (`?size=thumbnail|reading`); 404 with a reason when that version
 * or its original is gone. Its geometry rides along in `X-Page-*` headers. A page of a text,
 * Markdown, HTML or Office document is its text, as `text/plain`.
 */
export async function GET(
  request: Request,
  context: { params: Promise<{ answerId: string; n: string }> },
): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { answerId, n } = parseInput(sourceParamsSchema, await context.params);
    const query = parseInput(sourcePageQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
    const { content } = await auditedSourcePage(folio, actor, { answerId, n, size: query.size });
    // A version's page never changes.
    return await pageContentResponse(content, { maxAgeSeconds: 86_400 });
  } catch (error) {
    return toHttpResponse(error);
  }
}
