import { toHttpResponse } from "../../../../../../lib/http/error-response";
import { pageContentInfo } from "../../../../../../lib/http/page-content-response";
import { parseInput } from "../../../../../../lib/http/parse-input";
import { readablePagePreview } from "../../../../../../lib/previews/preview-access";
import { authorize } from "../../../../../_server/authorize";
import { pageParamsSchema, pageQuerySchema } from "./schema";

/**
 * What a viewer needs to draw the page and place boxes on it: the page's size in the unit of its
 * chunk boxes, the preview's pixel size, and the preview's URL (renders the preview if needed);
 * for a page of a text, Markdown, HTML or Office document, its text and label instead.
 */
export async function GET(
  request: Request,
  context: { params: Promise<{ documentId: string; pageNumber: string }> },
): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { documentId, pageNumber } = parseInput(pageParamsSchema, await context.params);
    const query = parseInput(pageQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
    const { document, version, content } = await readablePagePreview(folio, actor, {
      documentId,
      pageNumber,
      versionId: query.version,
      size: query.size,
    });
    const previewQuery = new URLSearchParams({ size: query.size, version: version.id });
    return Response.json(
      {
        ...pageContentInfo(content),
        documentTitle: document.title,
        versionId: version.id,
        previewUrl: `/api/documents/${document.id}/pages/${pageNumber}/preview?${previewQuery}`,
      },
      { headers: { "cache-control": "private, no-cache" } },
    );
  } catch (error) {
    return toHttpResponse(error);
  }
}
