"use client";

import { useId, useRef, useState } from "react";

/**
 * A secret or link shown once, read-only, with a Copy button. Falls back to selecting the text
 * where the Clipboard API is unavailable (plain http on a LAN address is not a secure context).
 */
export function CopyField({ label, value, testId }: { label: string; value: string; testId?: string }) {
  const inputRef = useRef<HTMLInputElement>(null);
  const inputId = useId();
  const [status, setStatus] = useState("");

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setStatus("Copied.");
    } catch {
      inputRef.current?.select();
      setStatus("Selected — press Ctrl+C (⌘C) to copy.");
    }
  }

  return (
    <div className="copy-field">
      <label htmlFor={inputId}>{label}</label>
      <div className="copy-row">
        <input
          id={inputId}
          ref={inputRef}
          readOnly
          value={value}
          data-testid={testId}
          onFocus={(event) => event.currentTarget.select()}
          spellCheck={false}
        />
        <button type="button" className="secondary" onClick={copy}>
          Copy
        </button>
      </div>
      <p className="muted small" role="status" aria-live="polite">
        {status}
      </p>
    </div>
  );
}
