/**
 * A page's own size, in the unit its chunk boxes use (top-left origin): PDF points for PDFs,
 * pixels of the (EXIF-oriented) image for images. A box `[x0, y0, x1, y1]` covers
 * `x0 / width … x1 / width` of the preview's width, whatever the preview's pixel size.
 */
export interface PageGeometry {
  pageNumber: number;
  pageCount: number;
  width: number;
  height: number;
  unit: "pt" | "px";
  /** The preview PNG's size. */
  widthPx: number;
  heightPx: number;
}
