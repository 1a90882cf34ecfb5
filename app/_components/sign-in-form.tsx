"use client";

import { type FormEvent, useEffect, useState } from "react";
import { type ApiProblem, networkProblem, problemOf } from "./api-client";
import { ProblemNotice } from "./problem-notice";

/** What each `?error=<code>` of a failed single sign-on callback means (docs/oidc.md). */
const callbackErrorMessages: Record<string, string> = {
  oidc_not_configured: "Single sign-on is not set up on this server.",
  oidc_unavailable: "The identity provider could not be reached. Try again in a moment.",
  oidc_state: "That sign-in expired or was started in another browser. Start again.",
  oidc_denied: "Single sign-on was cancelled or refused at the identity provider.",
  oidc_claims: "The identity provider did not share your email address, which Folio needs. Ask an admin.",
  email_unverified:
    "A Folio account has this email, but the identity provider has not verified it. Ask an admin.",
  no_account: "You do not have a Folio account yet. Ask an admin to add you.",
  account_disabled: "Your Folio account is disabled. Ask an admin.",
  unavailable: "Folio could not finish signing you in right now. Try again in a moment.",
};

function callbackErrorMessage(code: string): string {
  return (
    callbackErrorMessages[code] ??
    "Single sign-on did not complete. Try again, or sign in with your email and password."
  );
}

export function SignInForm({ next, callbackError }: { next: string; callbackError?: string }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [problem, setProblem] = useState<ApiProblem | null>(
    callbackError ? { code: callbackError, message: callbackErrorMessage(callbackError) } : null,
  );
  const [isBusy, setIsBusy] = useState(false);
  const [oidcLabel, setOidcLabel] = useState<string | null>(null);

  useEffect(() => {
    fetch("/api/auth/options", { cache: "no-store" })
      .then((response) => (response.ok ? response.json() : { oidc: null }))
      .then((body: { oidc: { label: string } | null }) => setOidcLabel(body.oidc?.label ?? null))
      .catch(() => {});
  }, []);

  async function signIn(event: FormEvent) {
    event.preventDefault();
    setIsBusy(true);
    setProblem(null);
    try {
      const response = await fetch("/api/auth/sign-in", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password }),
      });
      if (response.ok) {
        // A full load, so the header and every server component see the new session.
        window.location.assign(next);
        return;
      }
      const failure = await problemOf(response);
      if (response.status === 401) {
        setProblem({ ...failure, message: "The email or password is not right." });
      } else {
        // A 429 carries Retry-After: ProblemNotice says how long to wait.
        setProblem(failure);
      }
      setIsBusy(false);
    } catch (error) {
      setProblem(networkProblem(error));
      setIsBusy(false);
    }
  }

  return (
    <div className="auth-page">
      <section className="panel auth-card">
        <h1>Sign in to Folio</h1>
        <p className="muted">Ask your documents; every answer cites the page.</p>
        {problem && <ProblemNotice problem={problem} />}
        <form onSubmit={signIn} className="stacked-form" data-testid="sign-in-form">
          <div className="field">
            <label htmlFor="sign-in-email">Email</label>
            <input
              id="sign-in-email"
              type="email"
              name="email"
              autoComplete="username"
              required
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              data-testid="sign-in-email"
            />
          </div>
          <div className="field">
            <label htmlFor="sign-in-password">Password</label>
            <input
              id="sign-in-password"
              type="password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              data-testid="sign-in-password"
            />
          </div>
          <button type="submit" disabled={isBusy} data-testid="sign-in-submit">
            {isBusy ? "Signing in…" : "Sign in"}
          </button>
        </form>
        {oidcLabel && (
          <>
            <div className="divider">
              <span>or</span>
            </div>
            <a
              className="button-link secondary"
              href={`/api/auth/oidc/start?returnTo=${encodeURIComponent(next)}`}
              data-testid="sign-in-oidc"
            >
              Sign in with {oidcLabel}
            </a>
          </>
        )}
        <p className="muted small auth-footnote">
          No account yet, or forgot your password? Ask an admin for a one-time sign-in link.
        </p>
      </section>
    </div>
  );
}
