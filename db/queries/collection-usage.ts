import { eq, sql } from "drizzle-orm";
import type { Executor } from "../client";
import { documents, documentVersions } from "../schema";

/**
 * Bytes of originals a collection holds: the sizes of all its documents' versions (the same
 * bytes twice in a collection are one version, so nothing is counted twice).
 */
export async function getCollectionStoredBytes({
  db,
  collectionId,
}: {
  db: Executor;
  collectionId: string;
}): Promise<number> {
  const [row] = await db
    .select({ total: sql<string | number | null>`sum(${documentVersions.byteSize})` })
    .from(documentVersions)
    .innerJoin(documents, eq(documents.id, documentVersions.documentId))
    .where(eq(documents.collectionId, collectionId));
  return Number(row?.total ?? 0);
}
