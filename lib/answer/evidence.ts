import type { SourceRef } from "../domain/answer-events";
import type { Embedder } from "../embeddings/embedder";
import { contentTerms, stemWord, termSet } from "../text/content-terms";
import { embedAnchored, rescaledSimilarity } from "./semantic-similarity";

/**
 * Words that ask for something rather than name a subject ("summarise the key points"): a
 * question made only of them is about whatever was retrieved, and is never refused.
 */
const requestWords = new Set(
  (
    "summarise summarize summary overview explain describe tell list give key main points details " +
    "information info find know mean topic about please help question answer file page section chapter " +
    "content discuss cover say important highlights conclusion takeaways kind type thing anything " +
    "something everything happen compare difference example"
  )
    .split(" ")
    .map(stemWord),
);

/** Passages embedded, at most, when the words alone leave the question below the threshold. */
const maxPassagesEmbedded = 16;

export interface EvidenceAssessment {
  /** max(coverage, semantic): how much the passages have to do with the question (0–1). */
  score: number;
  /** Share of the question's topical words found in the passages. */
  coverage: number;
  /** Best rescaled cosine between the question and a passage; null when not needed. */
  semantic: number | null;
  /** The question's topical words; none means the question cannot be judged and is never refused. */
  topicalTerms: string[];
  isLow: boolean;
  threshold: number;
}

/** Equal, or (for words of 5+ letters) one letter added, dropped or changed: typos still meet. */
function isNearMatch(term: string, words: ReadonlySet<string>): boolean {
  if (words.has(term)) return true;
  if (term.length < 5) return false;
  for (const word of words) {
    if (Math.abs(word.length - term.length) > 1 || word[0] !== term[0]) continue;
    if (editDistanceAtMostOne(term, word)) return true;
  }
  return false;
}

function editDistanceAtMostOne(left: string, right: string): boolean {
  const [short, long] = left.length <= right.length ? [left, right] : [right, left];
  let shortIndex = 0;
  let longIndex = 0;
  let edits = 0;
  while (shortIndex < short.length && longIndex < long.length) {
    if (short[shortIndex] === long[longIndex]) {
      shortIndex++;
      longIndex++;
      continue;
    }
    if (++edits > 1) return false;
    if (short.length === long.length) shortIndex++;
    longIndex++;
  }
  return edits + (long.length - longIndex) + (short.length - shortIndex) <= 1;
}

/**
 * Whether the passages chosen for the prompt have anything to do with the question — the best
 * of (a) the share of the question's topical words found anywhere in them (stemmed, typos
 * forgiven) and (b) the question's closest passage by meaning (rescaled cosine, computed only
 * when (a) is below the threshold). Below `threshold` (ANSWER_MIN_EVIDENCE) the answer is not
 * generated. Lenient on purpose: both measures take the best passage, and a question without
 * topical words ("summarise this") is never refused.
 */
export async function assessEvidence(input: {
  question: string;
  sources: ReadonlyArray<Pick<SourceRef, "text" | "documentTitle">>;
  embedder?: Embedder;
  threshold: number;
}): Promise<EvidenceAssessment> {
  const { threshold } = input;
  const topicalTerms = [...new Set(contentTerms(input.question))].filter((term) => !requestWords.has(term));
  const result = (coverage: number, semantic: number | null): EvidenceAssessment => {
    const score = Math.round(Math.max(coverage, semantic ?? 0) * 1000) / 1000;
    return { score, coverage, semantic, topicalTerms, isLow: score < threshold, threshold };
  };
  if (input.sources.length === 0) return result(0, null);
  if (topicalTerms.length === 0 || threshold <= 0) return result(1, null);

  const sourceTerms = input.sources.map((source) => termSet(`${source.documentTitle}\n${source.text}`));
  const allTerms = new Set(sourceTerms.flatMap((terms) => [...terms]));
  const found = topicalTerms.filter((term) => isNearMatch(term, allTerms)).length;
  const coverage = Math.round((found / topicalTerms.length) * 1000) / 1000;
  if (coverage >= threshold || !input.embedder) return result(coverage, null);

  // The passages sharing most words with the question, where the answer would most likely be.
  const ranked = input.sources
    .map((source, index) => ({
      source,
      overlap: topicalTerms.filter((term) => sourceTerms[index]?.has(term)).length,
      index,
    }))
    .sort((left, right) => right.overlap - left.overlap || left.index - right.index)
    .slice(0, maxPassagesEmbedded);
  const [[question], passages] = await Promise.all([
    embedAnchored(input.embedder, [input.question], "query"),
    input.embedder.embed(
      ranked.map(({ source }) => source.text),
      "document",
    ),
  ]);
  if (!question) return result(coverage, null);
  const semantic = Math.max(...passages.map((vector) => rescaledSimilarity(question, vector)));
  return result(coverage, Math.round(semantic * 1000) / 1000);
}
