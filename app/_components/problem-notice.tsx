"use client";

import type { ApiProblem } from "./api-client";
import { formatWait } from "./labels";

export function ProblemNotice({ problem }: { problem: ApiProblem }) {
  return (
    <div className="problem" role="alert" data-testid="problem" data-code={problem.code}>
      <strong>{problem.message}</strong>
      {/* A wait helps when time is the fix (rate limits, a database coming back), not beside a command. */}
      {problem.retryAfterSeconds !== undefined && !problem.command && (
        <p data-testid="problem-wait">You can try again in {formatWait(problem.retryAfterSeconds)}.</p>
      )}
      {problem.command && (
        <p>
          Fix: <code data-testid="problem-command">{problem.command}</code>
        </p>
      )}
    </div>
  );
}
