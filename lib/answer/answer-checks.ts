import path from "node:path";
import type { FolioConfig } from "../config";
import type { AnswerRefusal, ClaimVerdict } from "../domain/claim-verdicts";
import { OnnxCrossEncoder } from "../embeddings/onnx-cross-encoder";
import type { Generator } from "../llm/generator";
import { getLogger } from "../observability/log";
import { checkClaims } from "./check-claims";
import { type ClaimJudge, crossEncoderClaimJudge, generatorClaimJudge } from "./claim-judges";
import { assessEvidence } from "./evidence";
import type { AnswerDependencies, PreparedAnswer } from "./prepare-answer";

/** The checks around generation: the evidence gate before it, claim verdicts after it. */
export interface AnswerChecks {
  /** Below this evidence score (0–1) the model is not asked (ANSWER_MIN_EVIDENCE); 0 turns it off. */
  minEvidence: number;
  /** Decides sentences the overlap measures leave undecided; none: they stay `weak`. */
  claimJudge?: ClaimJudge;
}

/** ANSWER_MIN_EVIDENCE's default, and no judge (see docs/decisions/0006-claim-verdicts.md). */
export const defaultAnswerChecks: AnswerChecks = { minEvidence: 0.1 };

/** Cross-encoders by model directory: loaded once per process, on the first answer that needs one. */
const crossEncoders = new Map<string, Promise<OnnxCrossEncoder>>();

function loadCrossEncoder(modelDir: string, threads: number): Promise<OnnxCrossEncoder> {
  let loading = crossEncoders.get(modelDir);
  if (!loading) {
    loading = OnnxCrossEncoder.create({ modelDir, threads });
    // A failed load is forgotten, so copying the model in place needs no restart.
    loading.catch(() => crossEncoders.delete(modelDir));
    crossEncoders.set(modelDir, loading);
  }
  return loading;
}

/** Releases the cross-encoders this process loaded (tests, shutdown). */
export async function disposeCrossEncoders(): Promise<void> {
  const loaded = [...crossEncoders.values()];
  crossEncoders.clear();
  await Promise.allSettled(loaded.map(async (encoder) => (await encoder).dispose()));
}

/**
 * The checks as configured: the cross-encoder of CLAIM_CHECK_MODEL when set (a model that cannot
 * be loaded is logged and the answer goes on without it — a checker never blocks an answer), else
 * the answering model when CLAIM_CHECK_GENERATOR is on, else no judge.
 */
export async function configuredAnswerChecks(
  config: FolioConfig,
  generator?: Generator,
): Promise<AnswerChecks> {
  const { model, useGenerator, maxGeneratorChecks } = config.claimCheck;
  const checks: AnswerChecks = { minEvidence: config.minEvidence };
  if (model) {
    const modelDir = path.isAbsolute(model) ? model : path.resolve(config.modelsDir, model);
    try {
      checks.claimJudge = crossEncoderClaimJudge(await loadCrossEncoder(modelDir, config.modelThreads));
      return checks;
    } catch (error) {
      getLogger().error("[claims] CLAIM_CHECK_MODEL could not be loaded; answering without it", {
        modelDir,
        error,
      });
    }
  }
  if (useGenerator && generator) checks.claimJudge = generatorClaimJudge(generator, maxGeneratorChecks);
  return checks;
}

/** Why the model should not be asked: nothing retrieved, or passages too far from the question. */
export async function refusalFor(
  dependencies: Pick<AnswerDependencies, "embedder">,
  prepared: Pick<PreparedAnswer, "request" | "sources">,
  checks: AnswerChecks,
): Promise<AnswerRefusal | null> {
  if (prepared.sources.length === 0) return { reason: "no_sources" };
  // A follow-up ("translate that", "and in zone eight?") leans on the conversation, which the
  // passages alone do not show: it is never refused for low evidence.
  if ((prepared.request.thread?.earlier.length ?? 0) > 0) return null;
  try {
    const evidence = await assessEvidence({
      question: prepared.request.question,
      sources: prepared.sources,
      embedder: dependencies.embedder,
      threshold: checks.minEvidence,
    });
    return evidence.isLow
      ? { reason: "low_evidence", score: evidence.score, threshold: evidence.threshold }
      : null;
  } catch (error) {
    // A check that cannot run never keeps an answer from being given.
    getLogger().error("[answer] the evidence check failed; answering anyway", { error });
    return null;
  }
}

/**
 * Verdicts on the answer's cited sentences, with the time they took; null when the check failed
 * (logged: the answer stands without verdicts). Throws only when the answer was cancelled.
 */
export async function verdictsFor(
  dependencies: Pick<AnswerDependencies, "embedder">,
  prepared: Pick<PreparedAnswer, "request" | "sources">,
  answer: string,
  checks: AnswerChecks,
): Promise<{ claims: ClaimVerdict[]; checkMs: number } | null> {
  const { signal } = prepared.request;
  try {
    const { claims, timing } = await checkClaims({
      answer,
      sources: prepared.sources,
      embedder: dependencies.embedder,
      ...(checks.claimJudge ? { judge: checks.claimJudge } : {}),
      ...(signal ? { signal } : {}),
    });
    return { claims, checkMs: Math.round(timing.totalMs * 10) / 10 };
  } catch (error) {
    if (signal?.aborted) throw error;
    getLogger().error("[answer] the claim check failed; the answer is recorded without verdicts", { error });
    return null;
  }
}
