import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Executor } from "../../db/client";
import { getVersionWithDocument } from "../../db/queries/documents";
import type { PromptImage } from "../llm/generator";
import type { RetrievedPassage } from "../retrieval/retrieve-context";
import { type DerivedStore, isFigureFileName } from "../storage/derived-store";

/** The image of a figure passage, ready for a prompt; null for other passages or a missing file. */
export type FigureImageResolver = (
  passage: Pick<RetrievedPassage, "kind" | "versionId" | "figureFile">,
) => Promise<PromptImage | null>;

/** Whether a passage has an image a vision model could be shown. */
export function hasFigureImage(passage: Pick<RetrievedPassage, "kind" | "figureFile">): boolean {
  return passage.kind === "figure" && passage.figureFile !== null && isFigureFileName(passage.figureFile);
}

/**
 * Figure crops (and image documents) live among a version's derived files, keyed by the
 * version's sha256. The passage was already access-checked by retrieval; this only locates and
 * hashes its image, so the audit trail records exactly the bytes the model saw.
 */
export function createFigureImageResolver(input: {
  db: Executor;
  derived: DerivedStore;
}): FigureImageResolver {
  return async (passage) => {
    if (!hasFigureImage(passage) || passage.figureFile === null) return null;
    const found = await getVersionWithDocument({ db: input.db, versionId: passage.versionId });
    if (!found) return null;
    const filePath = input.derived.pathOf(found.version.sha256, { kind: "figure", name: passage.figureFile });
    const bytes = await readFile(filePath).catch(() => null);
    if (!bytes) return null;
    return { path: filePath, sha256: createHash("sha256").update(bytes).digest("hex") };
  };
}
