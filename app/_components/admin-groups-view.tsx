"use client";

import { type FormEvent, useCallback, useState } from "react";
import { ActionFeedback } from "./action-feedback";
import { fetchGroups, fetchUsers, type GroupRow, type UserRow } from "./admin-data";
import { callApi } from "./api-client";
import { ConfirmDialog } from "./modal-dialog";
import { useAdminPage } from "./use-admin-page";

export function AdminGroupsView() {
  const [groups, setGroups] = useState<GroupRow[]>([]);
  const [users, setUsers] = useState<UserRow[]>([]);
  const [deleting, setDeleting] = useState<GroupRow | null>(null);
  const [name, setName] = useState("");
  const [oidcGroup, setOidcGroup] = useState("");

  const load = useCallback(async () => {
    const [groupList, userList] = await Promise.all([fetchGroups(), fetchUsers()]);
    setGroups(groupList);
    setUsers(userList);
  }, []);
  const { isLoaded, problem, status, isBusy, act } = useAdminPage(load);

  function createGroup(event: FormEvent) {
    event.preventDefault();
    void act(async () => {
      await callApi("POST", "/api/admin/groups", { name, oidcGroup: oidcGroup || undefined });
      setName("");
      setOidcGroup("");
      return `Group ${name} created.`;
    });
  }

  const setMembership = (group: GroupRow, user: { userId: string; email: string }, isMember: boolean) =>
    act(async () => {
      await callApi(isMember ? "POST" : "DELETE", `/api/admin/groups/${group.id}/members`, {
        userId: user.userId,
      });
      return isMember ? `${user.email} added to ${group.name}.` : `${user.email} removed from ${group.name}.`;
    });

  const deleteGroup = (group: GroupRow) =>
    act(async () => {
      await callApi("DELETE", `/api/admin/groups/${group.id}`);
      setDeleting(null);
      return `Group ${group.name} deleted.`;
    });

  return (
    <div className="page-stack">
      <ActionFeedback status={status} problem={problem} />
      <section className="panel" aria-labelledby="create-group-heading">
        <h2 id="create-group-heading">Create a group</h2>
        <form onSubmit={createGroup} className="row-form" data-testid="create-group-form">
          <div className="field grow">
            <label htmlFor="group-name">Name</label>
            <input
              id="group-name"
              value={name}
              maxLength={100}
              onChange={(event) => setName(event.target.value)}
              data-testid="group-name"
            />
          </div>
          <div className="field grow">
            <label htmlFor="group-oidc">
              OIDC group <span className="muted">(optional)</span>
            </label>
            <input
              id="group-oidc"
              value={oidcGroup}
              maxLength={200}
              onChange={(event) => setOidcGroup(event.target.value)}
              aria-describedby="group-oidc-hint"
              data-testid="group-oidc"
            />
          </div>
          <button type="submit" disabled={isBusy || !name.trim()} data-testid="create-group">
            Create group
          </button>
        </form>
        <p id="group-oidc-hint" className="hint">
          With an OIDC group, membership follows the identity provider: each single sign-on puts people in or
          out of this group by their groups claim.
        </p>
      </section>

      {isLoaded && groups.length === 0 && (
        <p className="muted">No groups yet. Groups let you grant a collection to many people at once.</p>
      )}
      <div className="card-grid">
        {groups.map((group) => (
          <GroupCard
            key={group.id}
            group={group}
            users={users}
            isBusy={isBusy}
            onAdd={(user) => void setMembership(group, user, true)}
            onRemove={(member) => void setMembership(group, member, false)}
            onDelete={() => setDeleting(group)}
          />
        ))}
      </div>

      <ConfirmDialog
        isOpen={deleting !== null}
        title={`Delete the group “${deleting?.name ?? ""}”?`}
        confirmLabel="Delete group"
        isBusy={isBusy}
        onConfirm={() => deleting && void deleteGroup(deleting)}
        onCancel={() => setDeleting(null)}
      >
        <p>
          Its {deleting?.members.length ?? 0} member(s) lose every collection the group was granted, from
          their next request. The people themselves are not deleted.
        </p>
      </ConfirmDialog>
    </div>
  );
}

function GroupCard({
  group,
  users,
  isBusy,
  onAdd,
  onRemove,
  onDelete,
}: {
  group: GroupRow;
  users: UserRow[];
  isBusy: boolean;
  onAdd: (user: UserRow) => void;
  onRemove: (member: { userId: string; email: string }) => void;
  onDelete: () => void;
}) {
  const [choice, setChoice] = useState("");
  const memberIds = new Set(group.members.map((member) => member.userId));
  const candidates = users.filter((user) => !memberIds.has(user.userId));
  const selectId = `add-member-${group.id}`;

  function add(event: FormEvent) {
    event.preventDefault();
    const user = candidates.find((candidate) => candidate.userId === choice);
    if (!user) return;
    setChoice("");
    onAdd(user);
  }

  return (
    <section
      className="panel card"
      aria-label={`Group ${group.name}`}
      data-testid="group-card"
      data-name={group.name}
    >
      <header className="card-header">
        <div>
          <h3>{group.name}</h3>
          {group.oidcGroup && (
            <span className="tag" title="Membership follows this group in the identity provider">
              OIDC: {group.oidcGroup}
            </span>
          )}
        </div>
        <button type="button" className="danger-outline small-button" onClick={onDelete} disabled={isBusy}>
          Delete<span className="sr-only"> group {group.name}</span>
        </button>
      </header>
      {group.members.length === 0 ? (
        <p className="muted small">No members.</p>
      ) : (
        <ul className="member-list" data-testid="group-members">
          {group.members.map((member) => (
            <li key={member.userId}>
              <span>{member.email}</span>
              <button
                type="button"
                className="link-button danger-text"
                disabled={isBusy}
                onClick={() => onRemove(member)}
              >
                Remove<span className="sr-only"> {member.email}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={add} className="inline-controls add-member">
        <label htmlFor={selectId} className="sr-only">
          Person to add to {group.name}
        </label>
        <select
          id={selectId}
          value={choice}
          onChange={(event) => setChoice(event.target.value)}
          data-testid="member-select"
        >
          <option value="">Add a person…</option>
          {candidates.map((user) => (
            <option key={user.userId} value={user.userId}>
              {user.displayName === user.email ? user.email : `${user.displayName} (${user.email})`}
            </option>
          ))}
        </select>
        <button type="submit" className="small-button" disabled={isBusy || !choice} data-testid="member-add">
          Add
        </button>
      </form>
    </section>
  );
}
