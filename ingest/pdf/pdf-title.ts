type PdfDocument = Awaited<
  ReturnType<typeof import("pdfjs-dist/legacy/build/pdf.mjs").getDocument>["promise"]
>;

export async function readTitle(document: PdfDocument): Promise<string | null> {
  try {
    const { info, metadata } = await document.getMetadata();
    const infoTitle = (info as Record<string, unknown> | null)?.Title;
    // XMP first, as pdf.js's viewer does: it is Unicode and usually newer than the Info entry.
    return sanitizeTitle(metadata?.get("dc:title")) ?? sanitizeTitle(infoTitle);
  } catch {
    return null; // Broken metadata must not fail a readable document.
  }
}

/** Titles that producers fill in by themselves (seen in the corpus: Photoshop, ActiveReports, AutoCAD, Japanese Word). */
const placeholderTitles =
  /^(untitled( document)?|no title|title|document\s*\d*|slide \d+|presentation\s*\d*|adobe photoshop pdf|activereports document|model|layout\s*\d*|新規文書\s*\d*|無題)$/i;
const fileNameLike = /\.(docx?|pdf|tex|dvi|ps|rtf|odt|pptx?|xlsx?|indd|qxd|txt)$/i;

/** A title worth showing, or null: control and bidi-override characters removed, no placeholders or file names. */
function sanitizeTitle(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const text = value
    .replace(/[\p{Cc}\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffd]/gu, " ")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/^Microsoft (Word|PowerPoint|Excel) - /i, "");
  if (text.length < 2 || text.length > 300) return null;
  if (!/[\p{L}\p{N}]/u.test(text)) return null;
  if (placeholderTitles.test(text) || fileNameLike.test(text)) return null;
  return text;
}
