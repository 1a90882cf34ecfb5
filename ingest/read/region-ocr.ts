import type { FolioConfig } from "../../lib/config";
import { AppError } from "../../lib/errors";
import type { RegionOcr } from "./document-reader";

/** OCR of rendered regions (WIP: the tesseract.js engine is wired in by the next commit). */
export function createRegionOcr(_config: FolioConfig): RegionOcr & { dispose(): Promise<void> } {
  return {
    readRegion: async () => {
      throw new AppError("unavailable:ocr_engine", { message: "OCR is not available yet." });
    },
    dispose: async () => {},
  };
}
