/**
 * Every type Folio reads, with the extensions a file picker should offer for it. Office types
 * include their macro-enabled variants (.docm, .pptm, .xlsm): the same package format, read as
 * data only (macros are never run or even extracted).
 */
export const supportedMediaTypes = {
  "application/pdf": { label: "PDF", extensions: [".pdf"] },
  "image/png": { label: "PNG", extensions: [".png"] },
  "image/jpeg": { label: "JPEG", extensions: [".jpg", ".jpeg"] },
  "image/webp": { label: "WebP", extensions: [".webp"] },
  "image/tiff": { label: "TIFF", extensions: [".tif", ".tiff"] },
  "image/gif": { label: "GIF", extensions: [".gif"] },
  "image/bmp": { label: "BMP", extensions: [".bmp"] },
  "image/svg+xml": { label: "SVG", extensions: [".svg"] },
  "text/plain": { label: "plain text", extensions: [".txt"] },
  "text/markdown": { label: "Markdown", extensions: [".md", ".markdown"] },
  "text/html": { label: "HTML", extensions: [".html", ".htm"] },
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
    label: "Word",
    extensions: [".docx", ".docm"],
  },
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": {
    label: "PowerPoint",
    extensions: [".pptx", ".pptm"],
  },
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
    label: "Excel",
    extensions: [".xlsx", ".xlsm"],
  },
} as const;

export type SupportedMediaType = keyof typeof supportedMediaTypes;
export type ImageMediaType = Extract<SupportedMediaType, `image/${string}`>;
/** Documents read as text (decoded, parsed, paged by sections): no page images. */
export type TextMediaType = Extract<SupportedMediaType, `text/${string}`>;
export type OfficeMediaType = Extract<SupportedMediaType, `application/vnd.openxmlformats-${string}`>;

/** For `<input type="file" accept=…>`: the MIME types and extensions above. */
export const uploadAcceptAttribute = Object.entries(supportedMediaTypes)
  .flatMap(([mediaType, { extensions }]) => [mediaType, ...extensions])
  .join(",");

/** "PDF, PNG, …, SVG, plain text, Markdown, HTML, Word, PowerPoint or Excel", for messages. */
export const supportedTypesDescription = (() => {
  const labels: string[] = Object.values(supportedMediaTypes).map(({ label }) => label);
  return `${labels.slice(0, -1).join(", ")} or ${labels.at(-1)}`;
})();

export function isImageMediaType(mediaType: string): mediaType is ImageMediaType {
  return mediaType.startsWith("image/") && mediaType in supportedMediaTypes;
}

export function isTextMediaType(mediaType: string): mediaType is TextMediaType {
  return mediaType.startsWith("text/") && mediaType in supportedMediaTypes;
}

export function isOfficeMediaType(mediaType: string): mediaType is OfficeMediaType {
  return mediaType.startsWith("application/vnd.openxmlformats-") && mediaType in supportedMediaTypes;
}

/**
 * Whether the document has page images (PDF pages, images) to preview, or only text (text,
 * Markdown, HTML and Office documents: their preview is the page's text).
 */
export function hasPageImages(mediaType: string): boolean {
  return mediaType === "application/pdf" || isImageMediaType(mediaType);
}

/** The supported type whose extensions include the file name's (lower-cased), or null. */
export function mediaTypeOfExtension(fileName: string): SupportedMediaType | null {
  const extension = extensionOf(fileName);
  if (extension === "") return null;
  for (const [mediaType, { extensions }] of Object.entries(supportedMediaTypes)) {
    if ((extensions as readonly string[]).includes(extension)) return mediaType as SupportedMediaType;
  }
  return null;
}

/** ".md" for "Notes.MD", "" for "README" or ".profile". */
export function extensionOf(fileName: string): string {
  const base = fileName.slice(Math.max(fileName.lastIndexOf("/"), fileName.lastIndexOf("\\")) + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot).toLowerCase() : "";
}
