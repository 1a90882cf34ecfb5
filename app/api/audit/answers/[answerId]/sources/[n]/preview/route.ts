import { auditedSourcePage } from "../../../../../../../../lib/answers/audited-source-page";
import { toHttpResponse } from "../../../../../../../../lib/http/error-response";
import { parseInput } from "../../../../../../../../lib/http/parse-input";
import { pageGeometryHeaders, pngResponse } from "../../../../../../../../lib/http/png-response";
import { authorize } from "../../../../../../../_server/authorize";
import { sourcePageQuerySchema, sourceParamsSchema } from "../../../../../schema";

/**
 * Auditors only (anyone else: 404). The page passage `n` of the answer came from, in the version
 * the model was shown, as a PNG (`?size=thumbnail|reading`); 404 with a reason when that version
 * or its original is gone. Its geometry rides along in `X-Page-*` headers.
 */
export async function GET(
  request: Request,
  context: { params: Promise<{ answerId: string; n: string }> },
): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { answerId, n } = parseInput(sourceParamsSchema, await context.params);
    const query = parseInput(sourcePageQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
    const { filePath, geometry } = await auditedSourcePage(folio, actor, { answerId, n, size: query.size });
    return await pngResponse(filePath, {
      // A version's page never changes.
      maxAgeSeconds: 86_400,
      headers: pageGeometryHeaders(geometry),
    });
  } catch (error) {
    return toHttpResponse(error);
  }
}
