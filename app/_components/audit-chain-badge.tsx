"use client";

import { useEffect, useState } from "react";
import { type ApiProblem, asProblem, callApi } from "./api-client";
import type { LedgerStatusView } from "./audit-data";
import { formatDate } from "./labels";

const shortHash = (hash: string) => `${hash.slice(0, 12)}…`;

/**
 * The ledger's state at the top of the audit workspace: verified up to event N and the last
 * signed checkpoint, or an alert naming the first event that does not verify and why.
 */
export function AuditChainBadge() {
  const [status, setStatus] = useState<LedgerStatusView | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  useEffect(() => {
    callApi<{ status: LedgerStatusView }>("GET", "/api/audit/status").then(
      (loaded) => setStatus(loaded.status),
      (error: unknown) => setProblem(asProblem(error)),
    );
  }, []);

  if (problem) {
    return (
      <div className="chain-badge chain-unknown" role="alert" data-testid="chain-badge" data-state="unknown">
        Could not check the ledger: {problem.message}
      </div>
    );
  }
  if (!status) {
    return (
      <p className="chain-badge chain-checking" data-testid="chain-badge" data-state="checking">
        Checking the ledger…
      </p>
    );
  }
  const checkpoint = status.lastCheckpoint
    ? `last signed checkpoint #${status.lastCheckpoint.seq} at ${formatDate(status.lastCheckpoint.createdAt)}`
    : "no signed checkpoint yet";
  if (!status.isIntact && status.firstBad) {
    return (
      <div className="chain-badge chain-broken" role="alert" data-testid="chain-badge" data-state="broken">
        <strong>
          <span aria-hidden="true">✗ </span>Ledger broken at event #{status.firstBad.seq}
        </strong>
        <span>{status.firstBad.reason}</span>
        <span className="chain-detail">
          Verified up to event #{status.head.seq} · {checkpoint}
        </span>
      </div>
    );
  }
  return (
    <p className="chain-badge chain-ok" role="status" data-testid="chain-badge" data-state="verified">
      <strong>
        <span aria-hidden="true">✓ </span>Ledger verified up to event #{status.head.seq}
      </strong>
      <span> · {checkpoint}</span>
      <span className="chain-detail">
        {" "}
        · head <code title={status.head.hash}>{shortHash(status.head.hash)}</code> · checked{" "}
        {formatDate(status.checkedAt)}
      </span>
    </p>
  );
}
