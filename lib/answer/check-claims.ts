import type { SourceRef } from "../domain/answer-events";
import type { ClaimJudgement, ClaimSupport, ClaimVerdict } from "../domain/claim-verdicts";
import type { Embedder } from "../embeddings/embedder";
import { contentTerms, hasNegation, termSet, withoutMarkers } from "../text/content-terms";
import {
  type EntityIndex,
  type EntityPresence,
  extractEntities,
  findEntity,
  indexForEntities,
} from "../text/entities";
import { extractNumbers, isNumberFound, type NumberMention } from "../text/numbers";
import { type SentenceSpan, splitSentences } from "../text/split-sentences";
import { findCitationMarkers } from "./citation-markers";
import type { ClaimJudge } from "./claim-judges";
import { embedAnchored, rescaledSimilarity } from "./semantic-similarity";

/**
 * Where the overlap measures decide on their own (see docs/decisions/0006-claim-verdicts.md).
 * Lexical: share of the sentence's content words in the cited text. Semantic: cosine to the
 * closest cited sentence, rescaled so that an unrelated sentence scores 0 and the same sentence 1.
 */
export const claimThresholds = {
  /** Supported: at least this lexical share … */
  lexicalSupported: 0.75,
  /** … or at least this semantic score with at least `lexicalUnsupported` of the words (meaning alone misses negations and swapped terms). */
  semanticSupported: 0.6,
  /** Unsupported: below this lexical share and below `semanticUnsupported`. */
  lexicalUnsupported: 0.35,
  semanticUnsupported: 0.3,
} as const;

/** Passage sentences compared with a claim, at most, per passage (passages are a chunk long). */
const maxWindowsPerSource = 48;

export type ClaimSource = Pick<SourceRef, "n" | "text" | "documentTitle">;

export interface CheckClaimsInput {
  answer: string;
  /** The sources the model was given, numbered as it saw them. */
  sources: readonly ClaimSource[];
  /** For semantic overlap; without it only the lexical measures decide. */
  embedder?: Embedder;
  /** Decides sentences the measures leave undecided (a cross-encoder or the answering model). */
  judge?: ClaimJudge;
  signal?: AbortSignal;
}

export interface ClaimCheckTiming {
  totalMs: number;
  /** Sentences that cite a source and got a verdict. */
  sentences: number;
  /** Time in the embedder (claims and cited passages). */
  embedMs: number;
  /** Time in the judge, and how many sentences it judged. */
  judgeMs: number;
  judged: number;
}

export interface ClaimCheckResult {
  claims: ClaimVerdict[];
  timing: ClaimCheckTiming;
}

/** What is read once per cited source. */
interface PreparedSource {
  n: number;
  terms: Set<string>;
  numbers: NumberMention[];
  entities: EntityIndex;
  windows: SentenceSpan[];
}

interface Claim {
  span: SentenceSpan;
  markers: number[];
  cited: PreparedSource[];
}

function prepareSource(source: ClaimSource): PreparedSource {
  const text = `${source.documentTitle.replace(/\.[a-z0-9]{2,4}$/i, "")}\n${source.text}`;
  return {
    n: source.n,
    terms: termSet(text),
    numbers: extractNumbers(text),
    entities: indexForEntities(text),
    windows: splitSentences(source.text)
      .filter((window) => /[\p{L}]{2}/u.test(window.text))
      .slice(0, maxWindowsPerSource),
  };
}

const markerList = (markers: readonly number[]) => markers.map((n) => `[${n}]`).join("");
const round = (value: number) => Math.round(value * 100) / 100;

/**
 * Gives every answer sentence that cites a source a verdict against the passages it cites:
 * its numbers and names must be in them, and its words (lexical) or meaning (semantic) must
 * match; sentences the measures leave undecided go to the judge, if any, up to its cap.
 * Sentences without a valid marker get no verdict. Times itself, for `claimCheckMs`.
 */
export async function checkClaims(input: CheckClaimsInput): Promise<ClaimCheckResult> {
  const startedAt = performance.now();
  const timing: ClaimCheckTiming = { totalMs: 0, sentences: 0, embedMs: 0, judgeMs: 0, judged: 0 };
  const byNumber = new Map(input.sources.map((source) => [source.n, source]));
  const prepared = new Map<number, PreparedSource>();
  const prepare = (n: number): PreparedSource | undefined => {
    const existing = prepared.get(n);
    if (existing) return existing;
    const source = byNumber.get(n);
    if (!source) return undefined;
    const made = prepareSource(source);
    prepared.set(n, made);
    return made;
  };

  const claims: Claim[] = [];
  for (const span of splitSentences(input.answer)) {
    const markers = findCitationMarkers(span.text).filter((n) => byNumber.has(n));
    if (markers.length === 0) continue;
    const cited = markers.map(prepare).filter((source): source is PreparedSource => source !== undefined);
    claims.push({ span, markers, cited });
  }
  input.signal?.throwIfAborted();

  // Meaning is measured only where the words leave the verdict open: a sentence whose words are
  // all there, or whose number is not, is decided without the embedder.
  const measured = claims.map(measureWords);
  const open = claims.filter((_, index) => needsMeaning(measured[index]));
  const semantic = input.embedder ? await semanticScores(input.embedder, open, timing) : [];
  const semanticOf = new Map(open.map((claim, index) => [claim, semantic[index] ?? null]));
  input.signal?.throwIfAborted();

  const verdicts: ClaimVerdict[] = [];
  let judged = 0;
  for (const [index, claim] of claims.entries()) {
    const words = measured[index];
    if (!words) continue;
    const measure = classify(words, semanticOf.get(claim) ?? null);
    let judgement: ClaimJudgement | undefined;
    if (measure.base === "undecided" && input.judge && judged < input.judge.maxClaims) {
      const judgeStartedAt = performance.now();
      judgement = await input.judge.judge(
        {
          sentence: withoutMarkers(claim.span.text).replace(/\s+/g, " ").trim(),
          passages: claim.markers.map((n) => ({ n, text: byNumber.get(n)?.text ?? "" })),
        },
        input.signal,
      );
      judged++;
      timing.judgeMs += performance.now() - judgeStartedAt;
      input.signal?.throwIfAborted();
    }
    verdicts.push(decide(claim, measure, judgement));
  }
  timing.judged = judged;
  timing.sentences = verdicts.length;
  timing.totalMs = performance.now() - startedAt;
  return { claims: verdicts, timing };
}

/** Best rescaled cosine of each claim to a sentence (or the whole) of the passages it cites. */
async function semanticScores(
  embedder: Embedder,
  claims: readonly Claim[],
  timing: ClaimCheckTiming,
): Promise<Array<number | null>> {
  if (claims.length === 0) return [];
  const startedAt = performance.now();
  const windowTexts: string[] = [];
  const windowsOf = new Map<number, number[]>();
  for (const claim of claims) {
    for (const source of claim.cited) {
      if (windowsOf.has(source.n)) continue;
      const indices = source.windows.map((window) => windowTexts.push(window.text) - 1);
      windowsOf.set(source.n, indices);
    }
  }
  const [anchors, windowVectors] = await Promise.all([
    embedAnchored(
      embedder,
      claims.map((claim) => withoutMarkers(claim.span.text).replace(/\s+/g, " ").trim()),
      "document",
    ),
    embedder.embed(windowTexts, "document"),
  ]);
  timing.embedMs += performance.now() - startedAt;
  return claims.map((claim, index) => {
    const anchor = anchors[index];
    if (!anchor) return null;
    let best: number | null = null;
    for (const source of claim.cited) {
      for (const windowIndex of windowsOf.get(source.n) ?? []) {
        const vector = windowVectors[windowIndex];
        if (!vector) continue;
        const similarity = rescaledSimilarity(anchor, vector);
        if (best === null || similarity > best) best = similarity;
      }
    }
    return best;
  });
}

interface Measured {
  lexical: number;
  semantic: number | null;
  /** Distinct content terms of the sentence. */
  termCount: number;
  numberCount: number;
  missingNumbers: string[];
  entities: Array<{ text: string; presence: EntityPresence }>;
  negationDiffers: boolean;
  hasContent: boolean;
  base: ClaimSupport | "undecided";
}

/** Everything but meaning: words, numbers, names, negation. */
function measureWords(claim: Claim): Measured {
  const text = claim.span.text;
  const terms = [...new Set(contentTerms(text))];
  const found = terms.filter((term) => claim.cited.some((source) => source.terms.has(term)));
  const lexical = terms.length === 0 ? 0 : found.length / terms.length;

  const passageNumbers = claim.cited.flatMap((source) => source.numbers);
  const claimNumbers = extractNumbers(text, { includeNumberWords: "with-unit" });
  const missingNumbers = [
    ...new Set(claimNumbers.filter((number) => !isNumberFound(number, passageNumbers)).map((n) => n.text)),
  ];

  const entities = extractEntities(text).map((entity) => {
    const presences = claim.cited.map((source) => findEntity(entity, source.entities));
    const presence: EntityPresence = presences.includes("found")
      ? "found"
      : presences.includes("partial")
        ? "partial"
        : "missing";
    return { text: entity.text, presence };
  });

  return {
    lexical,
    semantic: null,
    termCount: terms.length,
    numberCount: claimNumbers.length,
    missingNumbers,
    entities,
    negationDiffers: hasNegation(withoutMarkers(text)) !== hasNegation(closestWindow(claim, terms)),
    hasContent: terms.length > 0 || claimNumbers.length > 0 || entities.length > 0,
    base: "undecided",
  };
}

/** Whether meaning could change the verdict (see `classify`). */
function needsMeaning(measured: Measured | undefined): boolean {
  return (
    measured !== undefined &&
    measured.termCount > 0 &&
    measured.missingNumbers.length === 0 &&
    measured.lexical < claimThresholds.lexicalSupported
  );
}

/** The verdict of the measures alone (before numbers and names cap it, and before any judge). */
function classify(measured: Measured, semantic: number | null): Measured {
  const { lexical } = measured;
  const { lexicalSupported, semanticSupported, lexicalUnsupported, semanticUnsupported } = claimThresholds;
  const isStrong =
    lexical >= lexicalSupported ||
    (semantic !== null && semantic >= semanticSupported && lexical >= lexicalUnsupported);
  const isPoor = lexical < lexicalUnsupported && (semantic === null || semantic < semanticUnsupported);
  let base: Measured["base"] = isStrong ? "supported" : isPoor ? "unsupported" : "undecided";
  if (measured.termCount === 0 && measured.numberCount > 0) base = "supported";
  if (!measured.hasContent) base = "weak";
  if (base === "supported" && measured.negationDiffers) base = "undecided";
  return { ...measured, semantic, base };
}

/** The cited sentence sharing most content words with the claim (for the negation check). */
function closestWindow(claim: Claim, terms: readonly string[]): string {
  let best = "";
  let bestScore = -1;
  for (const source of claim.cited) {
    for (const window of source.windows) {
      const windowTerms = termSet(window.text);
      const score = terms.filter((term) => windowTerms.has(term)).length;
      if (score > bestScore) {
        best = window.text;
        bestScore = score;
      }
    }
  }
  return best;
}

function decide(claim: Claim, measured: Measured, judgement: ClaimJudgement | undefined): ClaimVerdict {
  const cited = markerList(claim.markers);
  const reasons: string[] = [];
  for (const number of measured.missingNumbers) reasons.push(`number "${number}" not in ${cited}`);
  const missingEntities = measured.entities.filter((entity) => entity.presence === "missing");
  const partialEntities = measured.entities.filter((entity) => entity.presence === "partial");
  for (const entity of missingEntities) reasons.push(`entity "${entity.text}" not in ${cited}`);
  for (const entity of partialEntities) reasons.push(`entity "${entity.text}" only partly in ${cited}`);
  if (measured.negationDiffers && measured.base !== "unsupported")
    reasons.push(`negation differs from ${cited}`);
  if (!measured.hasContent) reasons.push("nothing checkable in the sentence");

  let support: ClaimSupport;
  if (measured.base === "undecided") {
    if (judgement?.label === "supported") support = "supported";
    else if (judgement?.label === "unsupported") support = "unsupported";
    else support = "weak";
  } else support = measured.base;
  if (judgement) {
    const probability = judgement.probability === undefined ? "" : ` (${judgement.probability.toFixed(2)})`;
    reasons.push(
      judgement.label === "unknown"
        ? `${judgement.by}: no usable answer`
        : `${judgement.by}: ${judgement.label}${probability}`,
    );
  }
  // A number the source does not hold is the costliest error; a missing name caps at weak.
  if (measured.missingNumbers.length > 0) support = "unsupported";
  else if ((missingEntities.length > 0 || partialEntities.length > 0) && support === "supported")
    support = "weak";

  reasons.push(`lexical ${round(measured.lexical).toFixed(2)}`);
  if (measured.semantic !== null) reasons.push(`semantic ${round(measured.semantic).toFixed(2)}`);
  return {
    start: claim.span.start,
    end: claim.span.end,
    markers: claim.markers,
    support,
    reasons,
    lexical: round(measured.lexical),
    semantic: measured.semantic === null ? null : round(measured.semantic),
    missing: {
      numbers: measured.missingNumbers,
      entities: missingEntities.map((entity) => entity.text),
    },
    ...(judgement ? { judgement } : {}),
  };
}
