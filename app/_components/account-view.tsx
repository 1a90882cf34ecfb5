"use client";

import { type FormEvent, useCallback, useEffect, useState } from "react";
import type { SignedInUser } from "../../lib/domain/actor";
import { type ApiProblem, asProblem, callApi } from "./api-client";
import { CopyField } from "./copy-field";
import { formatDate, roleDescriptions, roleLabels } from "./labels";
import { ConfirmDialog } from "./modal-dialog";
import { ProblemNotice } from "./problem-notice";

interface TokenRow {
  tokenId: string;
  name: string;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

const expiryChoices = [
  { value: "30d", label: "30 days" },
  { value: "90d", label: "90 days" },
  { value: "365d", label: "1 year" },
  { value: "", label: "Never" },
];

export function AccountView({ user }: { user: SignedInUser }) {
  const [tokens, setTokens] = useState<TokenRow[]>([]);
  const [name, setName] = useState("");
  const [expiresIn, setExpiresIn] = useState("90d");
  const [newToken, setNewToken] = useState<{ name: string; secret: string } | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [status, setStatus] = useState("");
  const [isBusy, setIsBusy] = useState(false);
  const [revoking, setRevoking] = useState<TokenRow | null>(null);
  const [isSigningOutEverywhere, setIsSigningOutEverywhere] = useState(false);

  const reload = useCallback(async () => {
    try {
      const body = await callApi<{ tokens: TokenRow[] }>("GET", "/api/tokens");
      setTokens(body.tokens);
    } catch (error) {
      setProblem(asProblem(error));
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);

  async function createToken(event: FormEvent) {
    event.preventDefault();
    setIsBusy(true);
    setProblem(null);
    try {
      const body = await callApi<{ token: string }>("POST", "/api/tokens", {
        name,
        expiresIn: expiresIn || undefined,
      });
      setNewToken({ name, secret: body.token });
      setName("");
      setStatus(`Token “${name}” created. Copy it now: it is shown only once.`);
      await reload();
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setIsBusy(false);
    }
  }

  async function revoke(token: TokenRow) {
    setIsBusy(true);
    setProblem(null);
    try {
      await callApi("DELETE", `/api/tokens/${token.tokenId}`);
      setStatus(`Token “${token.name}” revoked.`);
      setRevoking(null);
      await reload();
    } catch (error) {
      setRevoking(null);
      setProblem(asProblem(error));
    } finally {
      setIsBusy(false);
    }
  }

  async function signOutEverywhere() {
    setIsSigningOutEverywhere(true);
    try {
      await callApi("POST", "/api/auth/sign-out-everywhere");
      window.location.assign("/sign-in");
    } catch (error) {
      setProblem(asProblem(error));
      setIsSigningOutEverywhere(false);
    }
  }

  const activeTokens = tokens.filter((token) => !token.revokedAt);

  return (
    <div className="page-stack">
      <h1>Account</h1>
      <p className="sr-only" role="status" aria-live="polite">
        {status}
      </p>
      {problem && <ProblemNotice problem={problem} />}
      <section className="panel" aria-labelledby="account-who">
        <h2 id="account-who">Signed in as</h2>
        <dl className="facts" data-testid="account-who">
          <dt>Name</dt>
          <dd>{user.displayName}</dd>
          <dt>Email</dt>
          <dd>{user.email}</dd>
          <dt>Role</dt>
          <dd>
            <span className={`role-badge role-${user.role}`}>{roleLabels[user.role]}</span>{" "}
            <span className="muted">{roleDescriptions[user.role]}</span>
          </dd>
        </dl>
      </section>

      <section className="panel" aria-labelledby="account-tokens">
        <h2 id="account-tokens">API tokens</h2>
        <p className="muted">
          A token acts as you in scripts and integrations (<code>Authorization: Bearer …</code>), with your
          access and no more.
        </p>
        <form onSubmit={createToken} className="row-form" data-testid="token-form">
          <div className="field grow">
            <label htmlFor="token-name">Token name</label>
            <input
              id="token-name"
              value={name}
              maxLength={100}
              placeholder="e.g. nightly import"
              onChange={(event) => setName(event.target.value)}
              data-testid="token-name"
            />
          </div>
          <div className="field">
            <label htmlFor="token-expiry">Expires after</label>
            <select
              id="token-expiry"
              value={expiresIn}
              onChange={(event) => setExpiresIn(event.target.value)}
            >
              {expiryChoices.map((choice) => (
                <option key={choice.value} value={choice.value}>
                  {choice.label}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" disabled={isBusy || !name.trim()} data-testid="token-create">
            Create token
          </button>
        </form>
        {newToken && (
          <div className="secret-box" data-testid="new-token">
            <CopyField
              label={`Your new token “${newToken.name}” — copy it now, it will not be shown again`}
              value={newToken.secret}
              testId="new-token-value"
            />
            <button type="button" className="link-button" onClick={() => setNewToken(null)}>
              I have copied it
            </button>
          </div>
        )}
        {activeTokens.length === 0 ? (
          <p className="muted">You have no active tokens.</p>
        ) : (
          <table className="data-table" data-testid="tokens">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Starts with</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {activeTokens.map((token) => (
                <tr key={token.tokenId} data-testid="token-row">
                  <td>{token.name}</td>
                  <td>
                    <code>{token.prefix}…</code>
                  </td>
                  <td>{formatDate(token.createdAt)}</td>
                  <td>{token.expiresAt ? formatDate(token.expiresAt) : "Never"}</td>
                  <td>{token.lastUsedAt ? formatDate(token.lastUsedAt) : "—"}</td>
                  <td className="actions">
                    <button
                      type="button"
                      className="danger-outline small-button"
                      onClick={() => setRevoking(token)}
                    >
                      Revoke<span className="sr-only"> {token.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section className="panel" aria-labelledby="account-sessions">
        <h2 id="account-sessions">Sessions</h2>
        <p className="muted">
          Signs you out on every browser and device, this one included. API tokens keep working; revoke them
          above.
        </p>
        <button
          type="button"
          className="danger-outline"
          onClick={signOutEverywhere}
          disabled={isSigningOutEverywhere}
          data-testid="sign-out-everywhere"
        >
          {isSigningOutEverywhere ? "Signing out…" : "Sign out everywhere"}
        </button>
      </section>

      <ConfirmDialog
        isOpen={revoking !== null}
        title="Revoke this token?"
        confirmLabel="Revoke token"
        isBusy={isBusy}
        onConfirm={() => revoking && void revoke(revoking)}
        onCancel={() => setRevoking(null)}
      >
        <p>
          <strong>{revoking?.name}</strong> stops working at once; scripts using it will be refused.
        </p>
      </ConfirmDialog>
    </div>
  );
}
