import type { GoldenOutcome, GoldenQuestion } from "../../db/schema";
import { AppError } from "../errors";
import { type RetrievalDependencies, retrieveContext } from "../retrieval/retrieve-context";
import { sha256Hex } from "../text/sha256-hex";

export interface GoldenEvaluation {
  outcomes: GoldenOutcome[];
  /** Questions answered within the first `k` passages. */
  hitCount: number;
  recallAtK: number;
  recallAtDepth: number;
}

/**
 * Asks each golden question through Folio's own retrieval, restricted to the one collection, and
 * notes where the expected document (on the expected page, when one is given) first appears among
 * the top `depth` passages. A hit is a rank ≤ `k`.
 */
export async function evaluateGoldenQuestions(
  dependencies: RetrievalDependencies,
  input: {
    collectionId: string;
    questions: readonly GoldenQuestion[];
    /** recall@k is the figure shown and alerted on. */
    k: number;
    /** Passages retrieved per question (≥ k): ranks beyond it count as not found. */
    depth: number;
    /** Aborted: stops before the next question with `unavailable:golden_run` (the run is given back). */
    signal?: AbortSignal;
  },
): Promise<GoldenEvaluation> {
  const outcomes: GoldenOutcome[] = [];
  for (const question of input.questions) {
    if (input.signal?.aborted) {
      throw new AppError("unavailable:golden_run", {
        message: "The worker is stopping; the run goes back to the queue.",
      });
    }
    const passages = await retrieveContext(dependencies, {
      question: question.question,
      collectionIds: [input.collectionId],
      limit: input.depth,
    });
    const index = passages
      .slice(0, input.depth)
      .findIndex(
        (passage) =>
          passage.documentId === question.expectedDocumentId &&
          (question.expectedPage === null || passage.pageNumber === question.expectedPage),
      );
    const found = index === -1 ? undefined : passages[index];
    outcomes.push({
      questionId: question.id,
      questionSha256: sha256Hex(question.question),
      expectedDocumentId: question.expectedDocumentId,
      expectedPage: question.expectedPage,
      rank: found ? index + 1 : null,
      chunkId: found?.chunkId ?? null,
      versionId: found?.versionId ?? null,
      pageNumber: found?.pageNumber ?? null,
      pageLabel: found?.pageLabel ?? null,
      box: found?.box ?? null,
    });
  }
  const within = (limit: number) =>
    outcomes.filter((outcome) => outcome.rank !== null && outcome.rank <= limit).length;
  const hitCount = within(input.k);
  const count = Math.max(1, outcomes.length);
  return {
    outcomes,
    hitCount,
    recallAtK: hitCount / count,
    recallAtDepth: within(input.depth) / count,
  };
}

/** The same question asked the same way: same text and same expected document and page. */
function sameTest(a: GoldenOutcome, b: GoldenOutcome): boolean {
  return (
    a.questionSha256 === b.questionSha256 &&
    a.expectedDocumentId === b.expectedDocumentId &&
    a.expectedPage === b.expectedPage
  );
}

export interface RecallChange {
  /** Questions asked the same way in both runs: only they are compared. */
  commonCount: number;
  previousHits: number;
  currentHits: number;
  /** (previous hits − current hits) / common questions; > 0 is a drop. */
  drop: number;
  /** Common questions that were hits before and are not now. */
  lostQuestionIds: string[];
}

/**
 * How recall@k moved between two runs, over the questions both asked the same way. Adding,
 * editing or deleting questions changes recall without any change to the index or the models,
 * so those questions are left out of the comparison; what remains is what the change did.
 */
export function compareGoldenRuns(
  previous: readonly GoldenOutcome[],
  current: readonly GoldenOutcome[],
  k: number,
): RecallChange {
  const isHit = (outcome: GoldenOutcome) => outcome.rank !== null && outcome.rank <= k;
  const before = new Map(previous.map((outcome) => [outcome.questionId, outcome]));
  let commonCount = 0;
  let previousHits = 0;
  let currentHits = 0;
  const lostQuestionIds: string[] = [];
  for (const outcome of current) {
    const earlier = before.get(outcome.questionId);
    if (!earlier || !sameTest(earlier, outcome)) continue;
    commonCount += 1;
    if (isHit(earlier)) previousHits += 1;
    if (isHit(outcome)) currentHits += 1;
    if (isHit(earlier) && !isHit(outcome)) lostQuestionIds.push(outcome.questionId);
  }
  return {
    commonCount,
    previousHits,
    currentHits,
    drop: commonCount === 0 ? 0 : (previousHits - currentHits) / commonCount,
    lostQuestionIds,
  };
}

/**
 * Whether a change alerts: recall@k over the common questions fell by more than `threshold`
 * (0: any question fewer answered).
 */
export function isRecallAlert(change: RecallChange, threshold: number): boolean {
  return change.drop > 0 && change.drop > threshold;
}
