"use client";

import { type FormEvent, useCallback, useState } from "react";
import { ActionFeedback } from "./action-feedback";
import {
  fetchGrants,
  fetchGroups,
  fetchUsers,
  type GrantRow,
  type GroupRow,
  type UserRow,
} from "./admin-data";
import { type CollectionSummary, callApi, fetchCollections } from "./api-client";
import { permissionLabels } from "./labels";
import { ConfirmDialog } from "./modal-dialog";
import { useAdminPage } from "./use-admin-page";

type Permission = "read" | "curate";
type Grantee = { userId: string } | { groupId: string };

function granteeOf(grant: GrantRow): { grantee: Grantee; label: string; kind: "Person" | "Group" } {
  return grant.groupId
    ? { grantee: { groupId: grant.groupId }, label: grant.groupName ?? "?", kind: "Group" }
    : { grantee: { userId: grant.userId ?? "" }, label: grant.userEmail ?? "?", kind: "Person" };
}

export function AdminAccessView() {
  const [collections, setCollections] = useState<CollectionSummary[]>([]);
  const [grants, setGrants] = useState<GrantRow[]>([]);
  const [users, setUsers] = useState<UserRow[]>([]);
  const [groups, setGroups] = useState<GroupRow[]>([]);
  const [newName, setNewName] = useState("");
  const [deleting, setDeleting] = useState<CollectionSummary | null>(null);

  const load = useCallback(async () => {
    const [collectionList, grantList, userList, groupList] = await Promise.all([
      fetchCollections(),
      fetchGrants(),
      fetchUsers(),
      fetchGroups(),
    ]);
    setCollections(collectionList);
    setGrants(grantList);
    setUsers(userList);
    setGroups(groupList);
  }, []);
  const { isLoaded, problem, status, isBusy, act } = useAdminPage(load);

  function createCollection(event: FormEvent) {
    event.preventDefault();
    void act(async () => {
      await callApi("POST", "/api/collections", { name: newName });
      setNewName("");
      return `Collection ${newName} created.`;
    });
  }

  const grant = (collection: CollectionSummary, grantee: Grantee, label: string, permission: Permission) =>
    act(async () => {
      await callApi("PUT", "/api/admin/grants", { collectionId: collection.id, grantee, permission });
      return `${label} may now ${permission} ${collection.name}.`;
    });

  const revoke = (collection: CollectionSummary, grantee: Grantee, label: string) =>
    act(async () => {
      await callApi("DELETE", "/api/admin/grants", { collectionId: collection.id, grantee });
      return `${label} no longer has access to ${collection.name}.`;
    });

  const deleteCollection = (collection: CollectionSummary) =>
    act(async () => {
      await callApi("DELETE", `/api/collections/${collection.id}`);
      setDeleting(null);
      return `Collection ${collection.name} deleted.`;
    });

  return (
    <div className="page-stack">
      <ActionFeedback status={status} problem={problem} />
      <section className="panel" aria-labelledby="create-collection-heading">
        <h2 id="create-collection-heading">Create a collection</h2>
        <form onSubmit={createCollection} className="row-form">
          <div className="field grow">
            <label htmlFor="admin-collection-name">Name</label>
            <input
              id="admin-collection-name"
              value={newName}
              maxLength={100}
              onChange={(event) => setNewName(event.target.value)}
              data-testid="admin-collection-name"
            />
          </div>
          <button type="submit" disabled={isBusy || !newName.trim()} data-testid="admin-create-collection">
            Create collection
          </button>
        </form>
        <p className="hint">
          Admins read and curate every collection. Everyone else sees a collection only once it is granted to
          them or to a group they are in: <strong>read</strong> lets them search and ask it,{" "}
          <strong>curate</strong> also lets them upload and delete documents.
        </p>
      </section>

      {isLoaded && collections.length === 0 && <p className="muted">No collections yet.</p>}
      {collections.map((collection) => (
        <CollectionAccessCard
          key={collection.id}
          collection={collection}
          grants={grants.filter((row) => row.collectionId === collection.id)}
          users={users}
          groups={groups}
          isBusy={isBusy}
          onGrant={(grantee, label, permission) => void grant(collection, grantee, label, permission)}
          onRevoke={(grantee, label) => void revoke(collection, grantee, label)}
          onDelete={() => setDeleting(collection)}
        />
      ))}

      <ConfirmDialog
        isOpen={deleting !== null}
        title={`Delete the collection “${deleting?.name ?? ""}”?`}
        confirmLabel="Delete collection"
        isBusy={isBusy}
        onConfirm={() => deleting && void deleteCollection(deleting)}
        onCancel={() => setDeleting(null)}
      >
        <p>
          Every document in <strong>{deleting?.name}</strong>, its search index and every grant on it are
          deleted for everyone. This cannot be undone.
        </p>
      </ConfirmDialog>
    </div>
  );
}

function CollectionAccessCard({
  collection,
  grants,
  users,
  groups,
  isBusy,
  onGrant,
  onRevoke,
  onDelete,
}: {
  collection: CollectionSummary;
  grants: GrantRow[];
  users: UserRow[];
  groups: GroupRow[];
  isBusy: boolean;
  onGrant: (grantee: Grantee, label: string, permission: Permission) => void;
  onRevoke: (grantee: Grantee, label: string) => void;
  onDelete: () => void;
}) {
  const [who, setWho] = useState("");
  const [permission, setPermission] = useState<Permission>("read");
  const headingId = `collection-${collection.id}`;
  const whoId = `grant-who-${collection.id}`;
  const permissionId = `grant-permission-${collection.id}`;

  function submit(event: FormEvent) {
    event.preventDefault();
    const [kind, id] = who.split(":");
    if (!id) return;
    if (kind === "group") {
      const group = groups.find((candidate) => candidate.id === id);
      onGrant({ groupId: id }, `Group ${group?.name ?? id}`, permission);
    } else {
      const user = users.find((candidate) => candidate.userId === id);
      onGrant({ userId: id }, user?.email ?? id, permission);
    }
    setWho("");
  }

  return (
    <section
      className="panel"
      aria-labelledby={headingId}
      data-testid="collection-access"
      data-name={collection.name}
    >
      <header className="card-header">
        <h3 id={headingId}>{collection.name}</h3>
        <button type="button" className="danger-outline small-button" onClick={onDelete} disabled={isBusy}>
          Delete collection<span className="sr-only"> {collection.name}</span>
        </button>
      </header>
      {grants.length === 0 ? (
        <p className="muted small">Only admins can see this collection. Grant it to someone below.</p>
      ) : (
        <table className="data-table" data-testid="grants">
          <thead>
            <tr>
              <th scope="col">Who</th>
              <th scope="col" className="narrow">
                Access
              </th>
              <th scope="col" className="narrow">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {grants.map((row) => {
              const { grantee, label, kind } = granteeOf(row);
              return (
                <tr key={row.id} data-testid="grant-row">
                  <td>
                    <span className="tag">{kind}</span> {label}
                  </td>
                  <td>
                    <span className={`permission permission-${row.permission}`}>
                      {permissionLabels[row.permission]}
                    </span>
                  </td>
                  <td className="actions">
                    <button
                      type="button"
                      className="link-button danger-text"
                      disabled={isBusy}
                      onClick={() => onRevoke(grantee, label)}
                    >
                      Revoke<span className="sr-only"> access of {label}</span>
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <form onSubmit={submit} className="row-form grant-form">
        <div className="field grow">
          <label htmlFor={whoId}>Grant to</label>
          <select
            id={whoId}
            value={who}
            onChange={(event) => setWho(event.target.value)}
            data-testid="grant-who"
          >
            <option value="">Choose a person or group…</option>
            {groups.length > 0 && (
              <optgroup label="Groups">
                {groups.map((group) => (
                  <option key={group.id} value={`group:${group.id}`}>
                    {group.name}
                  </option>
                ))}
              </optgroup>
            )}
            <optgroup label="People">
              {users
                .filter((user) => user.role !== "admin")
                .map((user) => (
                  <option key={user.userId} value={`user:${user.userId}`}>
                    {user.email}
                    {user.isDisabled ? " (disabled)" : ""}
                  </option>
                ))}
            </optgroup>
          </select>
        </div>
        <div className="field">
          <label htmlFor={permissionId}>Access</label>
          <select
            id={permissionId}
            value={permission}
            onChange={(event) => setPermission(event.target.value as Permission)}
            data-testid="grant-permission"
          >
            <option value="read">Read</option>
            <option value="curate">Curate (read, upload, delete)</option>
          </select>
        </div>
        <button type="submit" className="secondary" disabled={isBusy || !who} data-testid="grant-submit">
          Grant
        </button>
      </form>
    </section>
  );
}
