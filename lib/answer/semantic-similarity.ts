import type { Embedder, EmbeddingKind } from "../embeddings/embedder";

/**
 * Sentences about nothing a company document is likely to discuss. A text's highest cosine to
 * them is what the embedder gives an unrelated text at best — about 0.4–0.5 for bge-small, lower
 * for others — and is subtracted, so the same thresholds hold for any embedder (BERTScore's
 * "baseline rescaling", with the best unrelated match as the baseline because a claim is
 * compared with its best-matching passage sentence).
 */
const unrelatedSentences = [
  "The recipe calls for two cups of flour and a pinch of salt.",
  "The football match was postponed because of heavy rain.",
  "Migratory birds fly south when the days grow shorter.",
  "She practised the violin every evening before dinner.",
  "The museum's new exhibit features ancient pottery from the coast.",
  "Tomatoes grow best in warm soil with plenty of sunlight.",
  "The night train to the mountains leaves from platform four.",
  "He repaired the bicycle chain with a borrowed tool.",
  "Our cat sleeps on the windowsill most afternoons.",
  "The choir sang three songs at the village wedding.",
  "Fresh snow covered the hiking trail overnight.",
  "A small boat drifted slowly across the quiet lake.",
];

const unrelatedVectors = new WeakMap<Embedder, Promise<Float32Array[]>>();

function unrelatedVectorsOf(embedder: Embedder): Promise<Float32Array[]> {
  let vectors = unrelatedVectors.get(embedder);
  if (!vectors) {
    vectors = embedder.embed(unrelatedSentences, "document");
    vectors.catch(() => unrelatedVectors.delete(embedder));
    unrelatedVectors.set(embedder, vectors);
  }
  return vectors;
}

/** Dot product: embedders return L2-normalised vectors, so this is the cosine. */
export function cosine(left: Float32Array, right: Float32Array): number {
  let sum = 0;
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) sum += (left[index] ?? 0) * (right[index] ?? 0);
  return sum;
}

/** A text embedded with the cosine an unrelated text gets from it. */
export interface AnchoredVector {
  vector: Float32Array;
  /** Highest cosine to the unrelated sentences. */
  baseline: number;
}

/** Embeds texts and measures each one's baseline against the unrelated sentences. */
export async function embedAnchored(
  embedder: Embedder,
  texts: string[],
  kind: EmbeddingKind,
): Promise<AnchoredVector[]> {
  if (texts.length === 0) return [];
  const [vectors, unrelated] = await Promise.all([embedder.embed(texts, kind), unrelatedVectorsOf(embedder)]);
  return vectors.map((vector) => ({
    vector,
    baseline: Math.max(...unrelated.map((other) => cosine(vector, other))),
  }));
}

/**
 * Cosine rescaled so that 0 is "as similar as an unrelated sentence" and 1 is identical:
 * (cos − baseline) / (1 − baseline), at most 1 and at least −1.
 */
export function rescaledSimilarity(anchor: AnchoredVector, other: Float32Array): number {
  const raw = cosine(anchor.vector, other);
  const span = Math.max(1 - anchor.baseline, 1e-6);
  return Math.max(-1, Math.min(1, (raw - anchor.baseline) / span));
}
