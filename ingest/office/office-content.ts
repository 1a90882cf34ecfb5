import type { ExtractedPage } from "../types";

/** What an Office reader returns: every page at once (the package is bounded and already in memory). */
export interface OfficeContent {
  title: string | null;
  pages: ExtractedPage[];
}
