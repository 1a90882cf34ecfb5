import { AppError } from "../../lib/errors";
import type { PdfProcessPool } from "../pdf/pdf-process-pool";
import { type DocumentPages, type ReadInput, type RegionOcr, readDocumentPages } from "./document-reader";

export interface DocumentReader {
  read(input: ReadInput): Promise<DocumentPages>;
  /** Renders one PDF page to a PNG file (previews). */
  renderPdfPage: PdfProcessPool["render"];
  /** Process ids of the parser children (benchmarks read their memory). */
  readonly parserProcessIds: number[];
  dispose(): Promise<void>;
}

/** The reader for every supported type, from the PDF pool and the OCR engine. */
export function createDocumentReader(parts: {
  pdf: PdfProcessPool;
  ocr: RegionOcr & { dispose(): Promise<void> };
  ocrConcurrency: number;
}): DocumentReader {
  return {
    read: async (input) => {
      if (input.mediaType === "application/pdf") return readDocumentPages(parts, input);
      throw new AppError("unsupported:file_type", { message: `Folio cannot read ${input.mediaType} files.` });
    },
    renderPdfPage: (filePath, options) => parts.pdf.render(filePath, options),
    get parserProcessIds() {
      return parts.pdf.childProcessIds;
    },
    dispose: async () => {
      await Promise.all([parts.pdf.dispose(), parts.ocr.dispose()]);
    },
  };
}
