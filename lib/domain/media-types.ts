/** Every type Folio reads, with the extensions a file picker should offer for it. */
export const supportedMediaTypes = {
  "application/pdf": { label: "PDF", extensions: [".pdf"] },
  "image/png": { label: "PNG", extensions: [".png"] },
  "image/jpeg": { label: "JPEG", extensions: [".jpg", ".jpeg"] },
  "image/webp": { label: "WebP", extensions: [".webp"] },
  "image/tiff": { label: "TIFF", extensions: [".tif", ".tiff"] },
  "image/gif": { label: "GIF", extensions: [".gif"] },
  "image/bmp": { label: "BMP", extensions: [".bmp"] },
  "image/svg+xml": { label: "SVG", extensions: [".svg"] },
} as const;

export type SupportedMediaType = keyof typeof supportedMediaTypes;
export type ImageMediaType = Exclude<SupportedMediaType, "application/pdf">;

/** For `<input type="file" accept=…>`: the MIME types and extensions above. */
export const uploadAcceptAttribute = Object.entries(supportedMediaTypes)
  .flatMap(([mediaType, { extensions }]) => [mediaType, ...extensions])
  .join(",");

/** "PDF, PNG, JPEG, WebP, TIFF, GIF, BMP or SVG", for messages. */
export const supportedTypesDescription = (() => {
  const labels: string[] = Object.values(supportedMediaTypes).map(({ label }) => label);
  return `${labels.slice(0, -1).join(", ")} or ${labels.at(-1)}`;
})();

export function isImageMediaType(mediaType: string): mediaType is ImageMediaType {
  return mediaType !== "application/pdf" && mediaType in supportedMediaTypes;
}
