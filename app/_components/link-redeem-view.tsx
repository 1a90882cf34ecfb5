"use client";

import { type FormEvent, useEffect, useRef, useState } from "react";
import { type ApiProblem, asProblem, callApi } from "./api-client";
import { PasswordFields, passwordProblem } from "./password-fields";
import { ProblemNotice } from "./problem-notice";

type LinkState =
  | { kind: "reading" }
  | { kind: "invalid"; problem: ApiProblem }
  | { kind: "setup"; token: string }
  | { kind: "sign_in"; token: string; email: string | null };

/**
 * What a one-time link opens (`/setup#<token>` for the first admin, `/welcome#<token>` for a new
 * user). The token is in the fragment, which browsers never send to a server; it is read once
 * and removed from the address bar (and history) at once.
 */
export function LinkRedeemView() {
  const tokenRef = useRef<string | null>(null);
  const [state, setState] = useState<LinkState>({ kind: "reading" });

  useEffect(() => {
    // A ref survives React running this effect twice in development; the hash is gone by then.
    tokenRef.current ??= decodeURIComponent(window.location.hash.slice(1));
    if (window.location.hash) {
      window.history.replaceState(null, "", window.location.pathname + window.location.search);
    }
    const token = tokenRef.current;
    if (!token) {
      setState({
        kind: "invalid",
        problem: {
          code: "invalid:link",
          message: "Open the complete one-time link you were given; this address has no token in it.",
        },
      });
      return;
    }
    callApi<{ purpose: "setup" | "sign_in"; email: string | null }>("POST", "/api/auth/link/inspect", {
      token,
    }).then(
      (link) =>
        setState(
          link.purpose === "setup" ? { kind: "setup", token } : { kind: "sign_in", token, email: link.email },
        ),
      (error: unknown) => setState({ kind: "invalid", problem: asProblem(error) }),
    );
  }, []);

  return (
    <div className="auth-page">
      <section className="panel auth-card" aria-busy={state.kind === "reading"}>
        {state.kind === "reading" && (
          <p className="muted" role="status">
            Checking your link…
          </p>
        )}
        {state.kind === "invalid" && (
          <>
            <h1>This link cannot be used</h1>
            <ProblemNotice problem={state.problem} />
            <p>
              <a href="/sign-in" data-testid="go-sign-in">
                Go to sign-in
              </a>
            </p>
          </>
        )}
        {state.kind === "setup" && <SetupForm token={state.token} />}
        {state.kind === "sign_in" && <WelcomeForm token={state.token} email={state.email} />}
      </section>
    </div>
  );
}

function SetupForm({ token }: { token: string }) {
  const [email, setEmail] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [isBusy, setIsBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const invalid = passwordProblem(password, repeat, { isRequired: true });
    setFieldError(invalid);
    if (invalid) return;
    setIsBusy(true);
    setProblem(null);
    try {
      await callApi("POST", "/api/auth/link/redeem", { token, email, displayName, password });
      window.location.assign("/admin");
    } catch (error) {
      setProblem(asProblem(error));
      setIsBusy(false);
    }
  }

  return (
    <>
      <h1>Set up Folio</h1>
      <p className="muted">
        Create the first admin account. This link works once; after this, admins add everyone else.
      </p>
      {problem && <ProblemNotice problem={problem} />}
      <form onSubmit={submit} className="stacked-form" data-testid="setup-form" noValidate>
        <div className="field">
          <label htmlFor="setup-email">Email</label>
          <input
            id="setup-email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            data-testid="setup-email"
          />
        </div>
        <div className="field">
          <label htmlFor="setup-name">Display name</label>
          <input
            id="setup-name"
            autoComplete="name"
            value={displayName}
            onChange={(event) => setDisplayName(event.target.value)}
            data-testid="setup-name"
          />
        </div>
        <PasswordFields
          idPrefix="setup"
          password={password}
          repeat={repeat}
          onPassword={setPassword}
          onRepeat={setRepeat}
          error={fieldError}
          isRequired
        />
        <button type="submit" disabled={isBusy || !email.trim()} data-testid="setup-submit">
          {isBusy ? "Creating…" : "Create admin account"}
        </button>
      </form>
    </>
  );
}

function WelcomeForm({ token, email }: { token: string; email: string | null }) {
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [isBusy, setIsBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const invalid = passwordProblem(password, repeat, { isRequired: false });
    setFieldError(invalid);
    if (invalid) return;
    setIsBusy(true);
    setProblem(null);
    try {
      await callApi("POST", "/api/auth/link/redeem", { token, password: password || undefined });
      window.location.assign("/");
    } catch (error) {
      setProblem(asProblem(error));
      setIsBusy(false);
    }
  }

  return (
    <>
      <h1>Welcome to Folio</h1>
      {email && (
        <p>
          You are signing in as <strong data-testid="welcome-email">{email}</strong>.
        </p>
      )}
      <p className="muted">
        Choose a password to sign in with next time, or leave it empty and continue; without one you will need
        a new link (or single sign-on) to come back.
      </p>
      {problem && <ProblemNotice problem={problem} />}
      <form onSubmit={submit} className="stacked-form" data-testid="welcome-form" noValidate>
        <PasswordFields
          idPrefix="welcome"
          password={password}
          repeat={repeat}
          onPassword={setPassword}
          onRepeat={setRepeat}
          error={fieldError}
          isRequired={false}
        />
        <button type="submit" disabled={isBusy} data-testid="welcome-submit">
          {isBusy ? "Signing in…" : password ? "Set password and continue" : "Continue"}
        </button>
      </form>
    </>
  );
}
