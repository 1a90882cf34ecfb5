"use client";

import { type KeyboardEvent, useId, useState } from "react";
import type { ClaimVerdict } from "../../lib/domain/claim-verdicts";

const titles: Record<ClaimVerdict["support"], string> = {
  supported: "Supported",
  weak: "Weak",
  unsupported: "Unsupported",
};
/** A shape as well as a colour, so the verdict does not depend on seeing colour. */
const icons: Record<ClaimVerdict["support"], string> = { supported: "✓", weak: "~", unsupported: "✗" };

const cited = (claim: ClaimVerdict) => claim.markers.map((n) => `[${n}]`).join("");

/** The decisive reason in a few words: the first that is not a bare score. */
function mainReason(claim: ClaimVerdict): string {
  const reason = claim.reasons.find((text) => !/^(lexical|semantic) /.test(text));
  if (reason) return reason.replaceAll('"', "");
  return claim.support === "unsupported"
    ? `little of it is in ${cited(claim)}`
    : `only partly found in ${cited(claim)}`;
}

/** What a screen reader announces, and what the badge says in full: "Weak: number 4.2% not in [1]". */
export function claimLabel(claim: ClaimVerdict): string {
  return claim.support === "supported"
    ? `Supported by ${cited(claim)}`
    : `${titles[claim.support]}: ${mainReason(claim)}`;
}

/**
 * The verdict on one cited sentence, placed after it: a focusable badge (text, shape and colour)
 * whose reasons show on hover, on focus, or when pressed; Escape hides them.
 */
export function ClaimBadge({ claim }: { claim: ClaimVerdict }) {
  const tooltipId = useId();
  const [isPinned, setPinned] = useState(false);
  const [isHovered, setHovered] = useState(false);
  const [isFocused, setFocused] = useState(false);
  const [isDismissed, setDismissed] = useState(false);
  const isShown = (isPinned || isHovered || isFocused) && !isDismissed;
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "Escape") {
      setDismissed(true);
      setPinned(false);
    }
  };
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: the pointer only keeps the reasons open while over the badge or its tooltip (WCAG 1.4.13); the button is the control
    <span
      className="claim"
      onMouseEnter={() => {
        setHovered(true);
        setDismissed(false);
      }}
      onMouseLeave={() => setHovered(false)}
    >
      <button
        type="button"
        className={`claim-badge claim-${claim.support}`}
        data-testid="claim-badge"
        data-support={claim.support}
        aria-label={claimLabel(claim)}
        aria-describedby={tooltipId}
        aria-expanded={isShown}
        onClick={() => {
          setPinned((pinned) => !pinned);
          setDismissed(false);
        }}
        onFocus={() => {
          setFocused(true);
          setDismissed(false);
        }}
        onBlur={() => {
          setFocused(false);
          setPinned(false);
        }}
        onKeyDown={onKeyDown}
      >
        <span aria-hidden="true">{icons[claim.support]}</span> {titles[claim.support]}
      </button>
      <span
        role="tooltip"
        id={tooltipId}
        className="claim-reasons"
        hidden={!isShown}
        data-testid="claim-reasons"
      >
        {claim.reasons.join(" · ")}
      </span>
    </span>
  );
}
