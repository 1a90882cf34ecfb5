/** One document in a ranking of documents, ranked by its best passage. */
export interface DocumentHit<Passage> {
  documentId: string;
  /** The document's best-ranked passage: it decides the document's rank. */
  best: Passage;
  /** The document's passages in the ranking, best first. */
  passages: Passage[];
}

/**
 * Turns a ranking of passages (best first) into a ranking of documents: a document takes the rank
 * of its best-ranked passage, and its other passages join it without moving it. So a document cut
 * into many chunks is neither favoured (its chunks are not added up) nor pushed down the list by
 * its own chunks: one relevant chunk places it exactly where that chunk ranks.
 */
export function fuseByDocument<Passage extends { documentId: string }>(
  ranked: readonly Passage[],
): DocumentHit<Passage>[] {
  const byDocument = new Map<string, DocumentHit<Passage>>();
  for (const passage of ranked) {
    const hit = byDocument.get(passage.documentId);
    if (hit) hit.passages.push(passage);
    else
      byDocument.set(passage.documentId, {
        documentId: passage.documentId,
        best: passage,
        passages: [passage],
      });
  }
  return [...byDocument.values()];
}
