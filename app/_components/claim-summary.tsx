"use client";

import type { AnswerRefusal, ClaimVerdict } from "../../lib/domain/claim-verdicts";

/** One line under the answer: how its cited sentences fared ("2 supported · 1 weak · 1 unsupported"). */
export function ClaimSummary({ claims }: { claims: readonly ClaimVerdict[] }) {
  const count = (support: ClaimVerdict["support"]) =>
    claims.filter((claim) => claim.support === support).length;
  const parts = (["supported", "weak", "unsupported"] as const)
    .map((support) => [count(support), support] as const)
    .filter(([n]) => n > 0)
    .map(([n, support]) => `${n} ${support}`);
  return (
    <p className="muted small" data-testid="claim-summary">
      Cited sentences checked against their sources: {parts.join(" · ")}. Each badge gives its reasons.
    </p>
  );
}

/** Why the question was not sent to the model, when its passages had too little to do with it. */
export function RefusalNote({ refusal }: { refusal: AnswerRefusal }) {
  if (refusal.reason !== "low_evidence") return null;
  return (
    <p className="muted small" data-testid="refusal">
      {`Not sent to the model: the passages found have too little to do with the question (evidence ${refusal.score?.toFixed(2)}, needed ${refusal.threshold?.toFixed(2)}).`}
    </p>
  );
}
