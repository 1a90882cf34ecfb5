"use client";

import type { ApiProblem } from "./api-client";
import { ProblemNotice } from "./problem-notice";

/** The last success, announced to screen readers, and the last problem, shown to everyone. */
export function ActionFeedback({ status, problem }: { status: string; problem: ApiProblem | null }) {
  return (
    <>
      <p className="sr-only" role="status" aria-live="polite">
        {status}
      </p>
      {problem && <ProblemNotice problem={problem} />}
    </>
  );
}
