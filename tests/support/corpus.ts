import { existsSync } from "node:fs";
import path from "node:path";

/** `../shared` beside the repository, or FOLIO_SHARED_DIR. Tests skip with a reason without it. */
export const sharedDir = process.env.FOLIO_SHARED_DIR ?? path.resolve("../shared");
export const corpusDir = process.env.FOLIO_CORPUS_DIR ?? path.join(sharedDir, "corpus");
export const corpusPdfsDir = path.join(corpusDir, "pdfs");
export const hasCorpus = existsSync(corpusPdfsDir);

export function warnSkipped(what: string): void {
  console.warn(
    `[skip] ${what}: ${corpusPdfsDir} is absent (set FOLIO_CORPUS_DIR or place shared/ beside the repo)`,
  );
}
