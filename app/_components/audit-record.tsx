"use client";

import type { AnswerAuditView } from "./audit-data";
import { LedgerCheckBadge } from "./audit-hash-badge";
import { formatDate } from "./labels";

function formatParameter(value: unknown): string {
  if (value === null || value === undefined) return "—";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** "Question and answer match the ledger", or which of them does not. */
function ledgerVerdict(ledger: NonNullable<AnswerAuditView["ledger"]>): { isGood: boolean; text: string } {
  const differing = [
    ledger.question !== "match" ? "question" : null,
    ledger.answer !== "match" ? "answer" : null,
  ].filter((part) => part !== null);
  if (ledger.laterEventSeqs.length > 0) {
    return {
      isGood: false,
      text: `Later events (${ledger.laterEventSeqs.map((seq) => `#${seq}`).join(", ")}) also claim to record this answer`,
    };
  }
  if (differing.length === 0 && ledger.isHashValid) {
    return { isGood: true, text: "Question and answer match the ledger" };
  }
  if (differing.length === 0)
    return { isGood: false, text: "The ledger event's own hash does not recompute" };
  return {
    isGood: false,
    text: `The ${differing.join(" and ")} kept with the answer ${differing.length === 1 ? "does" : "do"} not match the ledger`,
  };
}

/**
 * What the ledger holds about the answer and what it was made with: the event (seq, hash) and
 * whether the question and answer still hash to what it recorded; prompt hash; model, parameters.
 */
export function AuditRecord({ audit }: { audit: AnswerAuditView }) {
  const verdict = audit.ledger ? ledgerVerdict(audit.ledger) : null;
  return (
    <section className="panel audit-record" aria-labelledby="audit-record-heading">
      <h2 id="audit-record-heading">Ledger and model</h2>
      {verdict ? (
        <p
          className={`check-badge check-${verdict.isGood ? "match" : "mismatch"} audit-verdict`}
          data-testid="ledger-verdict"
          data-state={verdict.isGood ? "match" : "mismatch"}
        >
          <span aria-hidden="true">{verdict.isGood ? "✓" : "✗"}</span> {verdict.text}
        </p>
      ) : (
        <p
          className="check-badge check-mismatch audit-verdict"
          data-testid="ledger-verdict"
          data-state="missing"
        >
          <span aria-hidden="true">✗</span> No ledger event for this answer
        </p>
      )}
      <dl className="facts audit-facts small">
        {audit.ledger && (
          <>
            <dt>Ledger event</dt>
            <dd data-testid="ledger-seq">
              #{audit.ledger.seq} · {formatDate(audit.ledger.ts)}
            </dd>
            <dt>Event hash</dt>
            <dd>
              <code className="hash" data-testid="ledger-hash">
                {audit.ledger.hash}
              </code>
            </dd>
            <dt>Hash checks</dt>
            <dd className="check-list">
              <LedgerCheckBadge check={audit.ledger.question} subject="Question" />
              <LedgerCheckBadge check={audit.ledger.answer} subject="Answer" />
              <LedgerCheckBadge check={audit.ledger.promptHash} subject="Prompt" />
            </dd>
          </>
        )}
        <dt>Prompt hash</dt>
        <dd>
          <code className="hash" data-testid="prompt-hash">
            {audit.promptHash ?? "—"}
          </code>
        </dd>
        {audit.promptTokens !== null && (
          <>
            <dt>Prompt size</dt>
            <dd>{audit.promptTokens} tokens</dd>
          </>
        )}
        <dt>Model</dt>
        <dd data-testid="model-id">{audit.model.generatorId ?? "—"}</dd>
        <dt>Model sha256</dt>
        <dd>
          <code className="hash">{audit.model.sha256 ?? "—"}</code>
        </dd>
        {audit.model.contextTokens !== undefined && (
          <>
            <dt>Context window</dt>
            <dd>{audit.model.contextTokens} tokens</dd>
          </>
        )}
        {audit.model.embedderId !== undefined && (
          <>
            <dt>Embedder</dt>
            <dd>{audit.model.embedderId}</dd>
          </>
        )}
        <dt>Parameters</dt>
        <dd data-testid="model-parameters">
          {audit.parameters ? (
            <ul className="parameter-list">
              {Object.entries(audit.parameters).map(([name, value]) => (
                <li key={name}>
                  <span className="muted">{name}</span> <code>{formatParameter(value)}</code>
                </li>
              ))}
            </ul>
          ) : (
            "—"
          )}
        </dd>
      </dl>
    </section>
  );
}
