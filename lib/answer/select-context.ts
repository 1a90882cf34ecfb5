import type { RetrievedPassage } from "../retrieval/retrieve-context";

/** What a document looks like to the context selection: its passages, with their place in it. */
export interface ContextReader {
  /** Every passage of the version in order, or null when it has too many to send whole. */
  wholeDocument(versionId: string): Promise<RetrievedPassage[] | null>;
  /** The version's passages at these chunk indexes (those that exist). */
  passagesAt(versionId: string, chunkIndexes: readonly number[]): Promise<RetrievedPassage[]>;
}

export type ContextMode = "whole_documents" | "passages_with_neighbours";

export interface SelectedContext {
  mode: ContextMode;
  /** In the order they are sent: whole documents in page order, else each hit amid its neighbours. */
  passages: RetrievedPassage[];
}

/**
 * What the model gets to read within `budgetTokens`:
 * - when every document a hit comes from fits whole, those documents whole, best document first,
 *   each in page order (its passages carry their pages, so citations keep them);
 * - otherwise the hits in rank order that fit, then, while room is left, the passage before and
 *   after each hit in the same section (same heading path), each placed beside its hit.
 * `costOf` is a passage's share of the prompt in the generator's tokens.
 */
export async function selectContext(input: {
  ranked: readonly RetrievedPassage[];
  budgetTokens: number;
  costOf: (passage: RetrievedPassage) => Promise<number>;
  reader: ContextReader;
}): Promise<SelectedContext> {
  const { ranked, budgetTokens, costOf, reader } = input;
  const versions = [...new Set(ranked.map((passage) => passage.versionId))];

  const whole = await wholeDocumentsWithin(versions, budgetTokens, costOf, reader);
  if (whole) return { mode: "whole_documents", passages: whole };

  let used = 0;
  const hits: RetrievedPassage[] = [];
  for (const passage of ranked) {
    const cost = await costOf(passage);
    if (used + cost > budgetTokens) continue;
    hits.push(passage);
    used += cost;
  }
  const taken = new Set(hits.map((passage) => passage.chunkId));
  const neighboursOf = new Map<string, RetrievedPassage[]>();
  for (const hit of hits) {
    const around = await reader.passagesAt(hit.versionId, [hit.chunkIndex - 1, hit.chunkIndex + 1]);
    const added: RetrievedPassage[] = [];
    for (const neighbour of around) {
      if (taken.has(neighbour.chunkId) || !isSameSection(neighbour, hit)) continue;
      const cost = await costOf(neighbour);
      if (used + cost > budgetTokens) continue;
      taken.add(neighbour.chunkId);
      added.push(neighbour);
      used += cost;
    }
    neighboursOf.set(hit.chunkId, added);
  }
  const passages = hits.flatMap((hit) =>
    [hit, ...(neighboursOf.get(hit.chunkId) ?? [])].sort((a, b) => a.chunkIndex - b.chunkIndex),
  );
  return { mode: "passages_with_neighbours", passages };
}

async function wholeDocumentsWithin(
  versions: readonly string[],
  budgetTokens: number,
  costOf: (passage: RetrievedPassage) => Promise<number>,
  reader: ContextReader,
): Promise<RetrievedPassage[] | null> {
  if (versions.length === 0) return null;
  const passages: RetrievedPassage[] = [];
  let used = 0;
  for (const versionId of versions) {
    const document = await reader.wholeDocument(versionId);
    if (!document) return null;
    for (const passage of document) {
      used += await costOf(passage);
      if (used > budgetTokens) return null;
      passages.push(passage);
    }
  }
  return passages;
}

function isSameSection(a: RetrievedPassage, b: RetrievedPassage): boolean {
  return a.headingPath.join("\u0000") === b.headingPath.join("\u0000");
}
