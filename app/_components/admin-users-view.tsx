"use client";

import { type FormEvent, useCallback, useState } from "react";
import { type Role, roles } from "../../lib/domain/actor";
import { ActionFeedback } from "./action-feedback";
import { fetchUsers, type UserRow } from "./admin-data";
import { type ApiProblem, asProblem, callApi } from "./api-client";
import { CopyField } from "./copy-field";
import { roleLabels } from "./labels";
import { ConfirmDialog } from "./modal-dialog";
import { useAdminPage } from "./use-admin-page";

interface Handover {
  email: string;
  link: string;
}

export function AdminUsersView({ currentUserId }: { currentUserId: string }) {
  const [users, setUsers] = useState<UserRow[]>([]);
  const [handover, setHandover] = useState<Handover | null>(null);
  const [pendingRoles, setPendingRoles] = useState<Record<string, Role>>({});
  const [disabling, setDisabling] = useState<UserRow | null>(null);

  const load = useCallback(async () => {
    setUsers(await fetchUsers());
  }, []);
  const { isLoaded, problem, setProblem, status, setStatus, isBusy, act, reload } = useAdminPage(load);

  const changeRole = (user: UserRow, role: Role) =>
    act(async () => {
      await callApi("PATCH", `/api/admin/users/${user.userId}`, { role });
      setPendingRoles(({ [user.userId]: _, ...rest }) => rest);
      return `${user.email} is now ${roleLabels[role].toLowerCase()}.`;
    });

  const setDisabled = (user: UserRow, disabled: boolean) =>
    act(async () => {
      await callApi("PATCH", `/api/admin/users/${user.userId}`, { disabled });
      setDisabling(null);
      return disabled ? `${user.email} is disabled and signed out.` : `${user.email} may sign in again.`;
    });

  const newSignInLink = (user: UserRow) =>
    act(async () => {
      const body = await callApi<{ signInLink: string }>(
        "POST",
        `/api/admin/users/${user.userId}/sign-in-link`,
      );
      setHandover({ email: user.email, link: body.signInLink });
      return `New sign-in link for ${user.email} is ready to copy.`;
    });

  return (
    <div className="page-stack">
      <ActionFeedback status={status} problem={problem} />
      <AddUserForm
        onAdded={(user, link) => {
          setHandover(link ? { email: user.email, link } : null);
          setStatus(link ? `${user.email} added; hand over the sign-in link below.` : `${user.email} added.`);
          void reload();
        }}
        onProblem={setProblem}
      />
      {handover && (
        <div className="secret-box" data-testid="handover">
          <CopyField
            label={`One-time sign-in link for ${handover.email} — works once, valid 72 hours. Hand it over privately.`}
            value={handover.link}
            testId="handover-link"
          />
          <button type="button" className="link-button" onClick={() => setHandover(null)}>
            Done
          </button>
        </div>
      )}
      <section className="panel" aria-labelledby="users-heading">
        <h2 id="users-heading">People</h2>
        {isLoaded && users.length === 0 && <p className="muted">No users yet.</p>}
        {users.length > 0 && (
          <table className="data-table" data-testid="users">
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Signs in with</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.map((user) => {
                const isSelf = user.userId === currentUserId;
                const pending = pendingRoles[user.userId];
                const roleSelectId = `role-${user.userId}`;
                return (
                  <tr key={user.userId} data-testid="user-row" data-email={user.email}>
                    <td>
                      <div className="person-name">
                        {user.displayName}
                        {isSelf && <span className="tag">you</span>}
                      </div>
                      <div className="muted small">{user.email}</div>
                    </td>
                    <td>
                      <div className="inline-controls">
                        <label htmlFor={roleSelectId} className="sr-only">
                          Role of {user.email}
                        </label>
                        <select
                          id={roleSelectId}
                          value={pending ?? user.role}
                          onChange={(event) =>
                            setPendingRoles((current) => ({
                              ...current,
                              [user.userId]: event.target.value as Role,
                            }))
                          }
                          data-testid="user-role"
                        >
                          {roles.map((role) => (
                            <option key={role} value={role}>
                              {roleLabels[role]}
                            </option>
                          ))}
                        </select>
                        {pending && pending !== user.role && (
                          <button
                            type="button"
                            className="small-button"
                            disabled={isBusy}
                            onClick={() => void changeRole(user, pending)}
                            data-testid="user-role-save"
                          >
                            Save
                          </button>
                        )}
                      </div>
                    </td>
                    <td>
                      {user.isDisabled ? (
                        <span className="state state-failed">Disabled</span>
                      ) : (
                        <span className="state state-succeeded">Active</span>
                      )}
                    </td>
                    <td className="muted small">{user.hasPassword ? "Password" : "Links only"}</td>
                    <td className="actions">
                      <button
                        type="button"
                        className="secondary small-button"
                        disabled={isBusy || user.isDisabled}
                        onClick={() => void newSignInLink(user)}
                      >
                        New sign-in link<span className="sr-only"> for {user.email}</span>
                      </button>
                      {!isSelf &&
                        (user.isDisabled ? (
                          <button
                            type="button"
                            className="secondary small-button"
                            disabled={isBusy}
                            onClick={() => void setDisabled(user, false)}
                          >
                            Enable<span className="sr-only"> {user.email}</span>
                          </button>
                        ) : (
                          <button
                            type="button"
                            className="danger-outline small-button"
                            disabled={isBusy}
                            onClick={() => setDisabling(user)}
                          >
                            Disable<span className="sr-only"> {user.email}</span>
                          </button>
                        ))}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
      <ConfirmDialog
        isOpen={disabling !== null}
        title="Disable this account?"
        confirmLabel="Disable account"
        isBusy={isBusy}
        onConfirm={() => disabling && void setDisabled(disabling, true)}
        onCancel={() => setDisabling(null)}
      >
        <p>
          <strong>{disabling?.email}</strong> is signed out everywhere at once and cannot sign in until you
          enable the account again. Their API tokens stop working too.
        </p>
      </ConfirmDialog>
    </div>
  );
}

function AddUserForm({
  onAdded,
  onProblem,
}: {
  onAdded: (user: UserRow, signInLink: string | undefined) => void;
  onProblem: (problem: ApiProblem | null) => void;
}) {
  const [email, setEmail] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [role, setRole] = useState<Role>("employee");
  const [password, setPassword] = useState("");
  const [isBusy, setIsBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setIsBusy(true);
    onProblem(null);
    try {
      const body = await callApi<{ user: UserRow; signInLink?: string }>("POST", "/api/admin/users", {
        email,
        displayName: displayName || undefined,
        role,
        password: password || undefined,
      });
      setEmail("");
      setDisplayName("");
      setPassword("");
      setRole("employee");
      onAdded(body.user, body.signInLink);
    } catch (error) {
      onProblem(asProblem(error));
    } finally {
      setIsBusy(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="add-user-heading">
      <h2 id="add-user-heading">Add a person</h2>
      <form onSubmit={submit} className="row-form" data-testid="add-user-form">
        <div className="field grow">
          <label htmlFor="add-user-email">Email</label>
          <input
            id="add-user-email"
            type="email"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            data-testid="add-user-email"
          />
        </div>
        <div className="field grow">
          <label htmlFor="add-user-name">Name</label>
          <input
            id="add-user-name"
            value={displayName}
            maxLength={200}
            onChange={(event) => setDisplayName(event.target.value)}
            data-testid="add-user-name"
          />
        </div>
        <div className="field">
          <label htmlFor="add-user-role">Role</label>
          <select
            id="add-user-role"
            value={role}
            onChange={(event) => setRole(event.target.value as Role)}
            data-testid="add-user-role"
          >
            {roles.map((option) => (
              <option key={option} value={option}>
                {roleLabels[option]}
              </option>
            ))}
          </select>
        </div>
        <div className="field grow">
          <label htmlFor="add-user-password">
            Password <span className="muted">(optional)</span>
          </label>
          <input
            id="add-user-password"
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            aria-describedby="add-user-password-hint"
            data-testid="add-user-password"
          />
        </div>
        <button type="submit" disabled={isBusy || !email.trim()} data-testid="add-user-submit">
          {isBusy ? "Adding…" : "Add"}
        </button>
      </form>
      <p id="add-user-password-hint" className="hint">
        Without a password you get a one-time sign-in link to hand over; the person chooses their own
        password.
      </p>
    </section>
  );
}
