"use client";

import type { ApiProblem } from "./api-client";

export function ProblemNotice({ problem }: { problem: ApiProblem }) {
  return (
    <div className="problem" role="alert" data-testid="problem" data-code={problem.code}>
      <strong>{problem.message}</strong>
      {problem.command && (
        <p>
          Fix: <code data-testid="problem-command">{problem.command}</code>
        </p>
      )}
    </div>
  );
}
