"use client";

import type { HashCheck, LedgerCheck } from "./audit-data";

const hashTexts: Record<HashCheck, { icon: string; text: string }> = {
  match: { icon: "✓", text: "Text matches its hash" },
  mismatch: { icon: "✗", text: "Text differs from its hash" },
  erased: { icon: "–", text: "Text erased, hash kept" },
};

/** A passage's text against the sha256 taken when it was sent: text, shape and colour. */
export function HashCheckBadge({ check }: { check: HashCheck }) {
  const { icon, text } = hashTexts[check];
  return (
    <span className={`check-badge check-${check}`} data-testid="hash-check" data-check={check}>
      <span aria-hidden="true">{icon}</span> {text}
    </span>
  );
}

const ledgerTexts: Record<LedgerCheck, { icon: string; text: string; tone: string }> = {
  match: { icon: "✓", text: "Hash as in the ledger", tone: "match" },
  mismatch: { icon: "✗", text: "Hash differs from the ledger", tone: "mismatch" },
  not_recorded: { icon: "–", text: "Not in the ledger", tone: "erased" },
};

/** A value kept with the answer against the ledger's record of it. */
export function LedgerCheckBadge({ check, subject }: { check: LedgerCheck; subject?: string }) {
  const { icon, text, tone } = ledgerTexts[check];
  return (
    <span className={`check-badge check-${tone}`} data-testid="ledger-check" data-check={check}>
      <span aria-hidden="true">{icon}</span> {subject ? `${subject}: ${text.toLowerCase()}` : text}
    </span>
  );
}
