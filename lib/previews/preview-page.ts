import { hasPageImages } from "../domain/media-types";
import type { TextPage } from "../domain/page-text";
import type { Folio } from "../runtime";
import type { PreviewSize } from "../storage/derived-store";
import { type PagePreview, type PreviewVersion, pagePreview, previewDependenciesOf } from "./page-preview";
import { type PageTextDependencies, textPage, textPageLabels } from "./page-text";

/** A page as a viewer shows it: a rendered image (PDF, image) or the page's text (every other type). */
export type PageContent = ({ kind: "image" } & PagePreview) | { kind: "text"; page: TextPage };

/**
 * One page of a version, for the page routes: PDF and image pages rendered to a PNG (cached),
 * pages of text, Markdown, HTML and Office documents as their text (cached).
 */
export async function previewPage(
  folio: Pick<Folio, "blobs" | "derived" | "ingest" | "config">,
  request: { version: PreviewVersion; pageNumber: number; size: PreviewSize },
): Promise<PageContent> {
  if (!hasPageImages(request.version.mediaType)) {
    return { kind: "text", page: await textPage(textPageDependenciesOf(folio), request) };
  }
  return { kind: "image", ...(await pagePreview(previewDependenciesOf(folio), request)) };
}

/**
 * Every page's label in page order ("Slide 3: Results", "Sheet: Revenue", a section heading), null
 * for a page without one: PDF and image pages never have one, so they are not read for it.
 */
export async function pageLabels(
  folio: Pick<Folio, "blobs" | "derived" | "ingest">,
  version: PreviewVersion,
): Promise<(string | null)[]> {
  if (hasPageImages(version.mediaType)) return Array.from({ length: version.pageCount ?? 0 }, () => null);
  return textPageLabels(textPageDependenciesOf(folio), version);
}

function textPageDependenciesOf(folio: Pick<Folio, "blobs" | "derived" | "ingest">): PageTextDependencies {
  return {
    blobs: folio.blobs,
    derived: folio.derived,
    readPages: (input) => folio.ingest.reader.read({ ...input, figureDirectory: null }),
  };
}
