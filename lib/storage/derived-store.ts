import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { AppError } from "../errors";

/** What a derived file is; the name inside a document's directory follows from it. */
export type DerivedFile =
  | { kind: "figure"; name: string }
  | { kind: "preview"; pageNumber: number; size: PreviewSize }
  /** A text page's text and label (documents without page images), cached for previews. */
  | { kind: "page_text"; pageNumber: number };

export type PreviewSize = "thumbnail" | "reading";

/** File names the extractors may give figures: no directories, no dots but the extension. */
const figureName = /^[a-z0-9][a-z0-9-]{0,80}\.png$/;

/**
 * Files made from an original (figure crops, page previews), under
 * `<root>/<sha256[0:2]>/<sha256>/`: keyed like the blob itself, so identical uploads share them
 * and removing the blob's last reference removes them too.
 */
export class DerivedStore {
  constructor(readonly root: string) {}

  directoryOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new AppError("invalid:sha256");
    return path.join(this.root, sha256.slice(0, 2), sha256);
  }

  pathOf(sha256: string, file: DerivedFile): string {
    const directory = this.directoryOf(sha256);
    if (file.kind === "figure") {
      if (!figureName.test(file.name)) throw new AppError("invalid:figure_name");
      return path.join(directory, "figures", file.name);
    }
    if (!Number.isInteger(file.pageNumber) || file.pageNumber < 1) throw new AppError("invalid:page_number");
    // Versioned: pages are made by Folio's readers, and a reader that pages differently must not
    // meet text cached by an older one (bump it with any change to how text pages are made).
    if (file.kind === "page_text") return path.join(directory, "previews", `${file.pageNumber}-text-v1.json`);
    return path.join(directory, "previews", `${file.pageNumber}-${file.size}.png`);
  }

  figureDirectoryOf(sha256: string): string {
    return path.join(this.directoryOf(sha256), "figures");
  }

  async ensureDirectories(sha256: string): Promise<void> {
    const directory = this.directoryOf(sha256);
    await mkdir(path.join(directory, "figures"), { recursive: true });
    await mkdir(path.join(directory, "previews"), { recursive: true });
  }

  async remove(sha256: string): Promise<void> {
    await rm(this.directoryOf(sha256), { recursive: true, force: true });
  }
}

export function isFigureFileName(name: string): boolean {
  return figureName.test(name);
}
