"use client";

import { maximumPasswordLength, minimumPasswordLength } from "../../lib/domain/password-policy";

/** What is wrong with a new password and its repetition, or null. The server checks again. */
export function passwordProblem(password: string, repeat: string, { isRequired }: { isRequired: boolean }) {
  if (!password && !repeat && !isRequired) return null;
  const length = [...password].length;
  if (length < minimumPasswordLength) return `Use at least ${minimumPasswordLength} characters.`;
  if (length > maximumPasswordLength) return `Use at most ${maximumPasswordLength} characters.`;
  if (password !== repeat) return "The two passwords differ.";
  return null;
}

/** A new password and its repetition, with the rule stated up front and errors tied to the fields. */
export function PasswordFields({
  idPrefix,
  password,
  repeat,
  onPassword,
  onRepeat,
  error,
  isRequired,
}: {
  idPrefix: string;
  password: string;
  repeat: string;
  onPassword: (value: string) => void;
  onRepeat: (value: string) => void;
  error: string | null;
  isRequired: boolean;
}) {
  const hintId = `${idPrefix}-password-hint`;
  const errorId = `${idPrefix}-password-error`;
  const describedBy = error ? `${hintId} ${errorId}` : hintId;
  return (
    <>
      <div className="field">
        <label htmlFor={`${idPrefix}-password`}>
          Password{isRequired ? "" : <span className="muted"> (optional)</span>}
        </label>
        <input
          id={`${idPrefix}-password`}
          type="password"
          autoComplete="new-password"
          required={isRequired}
          value={password}
          onChange={(event) => onPassword(event.target.value)}
          aria-describedby={describedBy}
          aria-invalid={error ? true : undefined}
          data-testid={`${idPrefix}-password`}
        />
        <p id={hintId} className="hint">
          At least {minimumPasswordLength} characters; a few unrelated words make a strong one.
        </p>
      </div>
      <div className="field">
        <label htmlFor={`${idPrefix}-repeat`}>Repeat password</label>
        <input
          id={`${idPrefix}-repeat`}
          type="password"
          autoComplete="new-password"
          required={isRequired}
          value={repeat}
          onChange={(event) => onRepeat(event.target.value)}
          aria-describedby={error ? errorId : undefined}
          aria-invalid={error ? true : undefined}
          data-testid={`${idPrefix}-repeat`}
        />
      </div>
      {error && (
        <p id={errorId} className="field-error" role="alert" data-testid="password-error">
          {error}
        </p>
      )}
    </>
  );
}
