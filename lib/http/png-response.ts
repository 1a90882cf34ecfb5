import { readFile } from "node:fs/promises";
import type { PageGeometry } from "../domain/page-geometry";

/**
 * A PNG Folio made (a page preview, a figure crop) as a response: private to the caller's browser
 * (it is behind their access check), never sniffed as anything but an image.
 */
export async function pngResponse(
  filePath: string,
  options: { maxAgeSeconds: number; headers?: Record<string, string> },
): Promise<Response> {
  const bytes = await readFile(filePath);
  return new Response(new Uint8Array(bytes), {
    headers: {
      "content-type": "image/png",
      "content-length": String(bytes.byteLength),
      "cache-control": `private, max-age=${options.maxAgeSeconds}`,
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'",
      ...options.headers,
    },
  });
}

/** A page preview's size in the unit of its passage boxes, as the `X-Page-*` headers clients read. */
export function pageGeometryHeaders(geometry: PageGeometry): Record<string, string> {
  return {
    "x-page-width": String(geometry.width),
    "x-page-height": String(geometry.height),
    "x-page-unit": geometry.unit,
    "x-page-count": String(geometry.pageCount),
  };
}
