import type { PageContent } from "../previews/preview-page";
import { pageGeometryHeaders, pngResponse } from "./png-response";

/**
 * A page preview as a response: the PNG of a PDF or image page (geometry in `X-Page-*` headers),
 * or the text of a text page as `text/plain` — never as HTML, never sniffed, sandboxed if opened
 * on its own, so the text of an HTML document can never run in Folio's origin.
 */
export async function pageContentResponse(content: PageContent, options: { maxAgeSeconds: number }) {
  if (content.kind === "image") {
    return pngResponse(content.filePath, { ...options, headers: pageGeometryHeaders(content.geometry) });
  }
  const body = new TextEncoder().encode(content.page.text);
  return new Response(body, {
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "content-length": String(body.byteLength),
      "cache-control": `private, max-age=${options.maxAgeSeconds}`,
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
      "x-page-count": String(content.page.pageCount),
    },
  });
}

/**
 * What a viewer needs to draw a page (beside the preview's URL): an image page's size in the
 * unit of its passage boxes and the PNG's pixel size; a text page's text and label (its passage
 * boxes are spans of that text).
 */
export function pageContentInfo(content: PageContent) {
  return content.kind === "image"
    ? { kind: "image" as const, page: content.geometry }
    : {
        kind: "text" as const,
        page: {
          pageNumber: content.page.pageNumber,
          pageCount: content.page.pageCount,
          label: content.page.label,
        },
        text: content.page.text,
      };
}
