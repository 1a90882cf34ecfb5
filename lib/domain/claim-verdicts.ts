/**
 * How well the passages a sentence cites back it up:
 * - `supported`: what it says is in the cited text (its numbers and names, and its words or meaning);
 * - `weak`: partly there — a name missing, a negation that differs, or too little overlap to tell;
 * - `unsupported`: a number the cited text does not hold, or nothing of the sentence in it.
 */
export type ClaimSupport = "supported" | "weak" | "unsupported";

/** A second opinion on a sentence the overlap measures could not decide. */
export interface ClaimJudgement {
  by: "cross-encoder" | "generator";
  /** `unknown`: the judge gave no usable answer (an unparseable reply counts as no information). */
  label: "supported" | "unsupported" | "unknown";
  /** Probability of support, for a cross-encoder. */
  probability?: number;
}

/** The verdict on one answer sentence that cites sources. */
export interface ClaimVerdict {
  /** The sentence's place in the answer text: `answer.slice(start, end)`. */
  start: number;
  end: number;
  /** The source numbers the sentence cites (those that name a source the model was given). */
  markers: number[];
  support: ClaimSupport;
  /** Short reasons, the decisive first: `number "4.2%" not in [1]`, `lexical 0.81`, `semantic 0.74`. */
  reasons: string[];
  /** Share of the sentence's content words found in the cited text (0–1). */
  lexical: number;
  /** Closeness in meaning to the nearest cited sentence, rescaled so an unrelated text scores 0 (−1–1). */
  semantic: number | null;
  /** Numbers and names of the sentence the cited text does not hold. */
  missing: { numbers: string[]; entities: string[] };
  judgement?: ClaimJudgement;
}

/** Why an answer was not generated. */
export interface AnswerRefusal {
  reason: "no_sources" | "low_evidence";
  /** For `low_evidence`: the evidence score and the threshold it fell below (ANSWER_MIN_EVIDENCE). */
  score?: number;
  threshold?: number;
}
