import type { Database } from "../../db/client";
import { createCollection, getCollectionById, getCollectionByName } from "../../db/queries/collections";
import { deleteGrant, type Grantee, listGroupGrants, upsertGrant } from "../../db/queries/grants";
import {
  addGroupMember,
  deleteGroup,
  getGroupById,
  getGroupByName,
  insertGroup,
  removeGroupMember,
} from "../../db/queries/groups";
import { getUserById } from "../../db/queries/users";
import type { Collection, Group } from "../../db/schema";
import { appendAuditEvent } from "../audit/append-audit-event";
import type { ChangeActor } from "../auth/manage-users";
import type { GrantPermission } from "../domain/actor";
import { AppError } from "../errors";

/** Collections, groups and grants, each change recorded in the audit log in the same transaction. */

/** Creates a collection (`collection.create`), or returns the one that already has this name. */
export async function addCollection(
  db: Database,
  actor: ChangeActor,
  input: { name: string; description?: string },
): Promise<{ collection: Collection; isNew: boolean }> {
  return db.transaction(async (tx) => {
    const created = await createCollection({ db: tx, ...input });
    if (created.isNew) {
      const { collection } = created;
      await appendAuditEvent(tx, {
        actor,
        action: "collection.create",
        subject: `collection:${collection.id}`,
        payload: { collectionId: collection.id, name: collection.name },
      });
    }
    return created;
  });
}

export async function createGroup(
  db: Database,
  actor: ChangeActor,
  input: { name: string; oidcGroup?: string | null },
): Promise<Group> {
  const name = input.name.trim();
  if (name === "" || name.length > 100)
    throw new AppError("invalid:request", { message: "A group needs a name." });
  return db.transaction(async (tx) => {
    const group = await insertGroup({ db: tx, name, oidcGroup: input.oidcGroup?.trim() || null });
    if (!group) {
      throw new AppError("conflict:group_name_taken", {
        message: `A group named ${name} (or mapped to that OIDC group) exists.`,
      });
    }
    await appendAuditEvent(tx, {
      actor,
      action: "group.create",
      subject: `group:${group.id}`,
      payload: { name: group.name, oidcGroup: group.oidcGroup },
    });
    return group;
  });
}

export async function removeGroup(db: Database, actor: ChangeActor, groupId: string): Promise<void> {
  await db.transaction(async (tx) => {
    const grants = await listGroupGrants({ db: tx, groupId });
    const group = await deleteGroup({ db: tx, id: groupId });
    if (!group) throw new AppError("not_found:group", { message: "No such group." });
    // The grants go with the group (cascade); the event keeps what its members lose.
    await appendAuditEvent(tx, {
      actor,
      action: "group.delete",
      subject: `group:${group.id}`,
      payload: { name: group.name, grants, collectionIds: grants.map((grant) => grant.collectionId) },
    });
  });
}

export async function setGroupMembership(
  db: Database,
  actor: ChangeActor,
  input: { groupId: string; userId: string; isMember: boolean },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const changed = input.isMember
      ? await addGroupMember({ db: tx, groupId: input.groupId, userId: input.userId })
      : await removeGroupMember({ db: tx, groupId: input.groupId, userId: input.userId });
    if (changed) {
      // The collections the member gains or loses through the group, so an export by collection
      // shows who came to read it this way.
      const grants = await listGroupGrants({ db: tx, groupId: input.groupId });
      await appendAuditEvent(tx, {
        actor,
        action: input.isMember ? "group.member_add" : "group.member_remove",
        subject: `group:${input.groupId}`,
        payload: { userId: input.userId, collectionIds: grants.map((grant) => grant.collectionId) },
      });
    }
    return changed;
  });
}

/** Gives `permission` on a collection to a user or a group (replacing what they had there). */
export async function grantCollection(
  db: Database,
  actor: ChangeActor,
  input: { collectionId: string; grantee: Grantee; permission: GrantPermission },
): Promise<void> {
  await db.transaction(async (tx) => {
    const [collection, grantee] = [
      await getCollectionById({ db: tx, id: input.collectionId }),
      "userId" in input.grantee
        ? await getUserById({ db: tx, id: input.grantee.userId })
        : await getGroupById({ db: tx, id: input.grantee.groupId }),
    ];
    if (!collection) throw new AppError("not_found:collection", { message: "No such collection." });
    if (!grantee) {
      throw "userId" in input.grantee
        ? new AppError("not_found:user", { message: "No such user." })
        : new AppError("not_found:group", { message: "No such group." });
    }
    const grant = await upsertGrant({ db: tx, ...input });
    await appendAuditEvent(tx, {
      actor,
      action: "grant.set",
      subject: `collection:${input.collectionId}`,
      payload: {
        grantId: grant.id,
        collectionId: input.collectionId,
        ...input.grantee,
        permission: input.permission,
      },
    });
  });
}

/** Removes a user's or group's grant on a collection; effective from the next request. */
export async function revokeCollection(
  db: Database,
  actor: ChangeActor,
  input: { collectionId: string; grantee: Grantee },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const removed = await deleteGrant({ db: tx, ...input });
    if (removed) {
      await appendAuditEvent(tx, {
        actor,
        action: "grant.revoke",
        subject: `collection:${input.collectionId}`,
        payload: {
          grantId: removed.id,
          collectionId: input.collectionId,
          ...input.grantee,
          permission: removed.permission,
        },
      });
    }
    return removed !== undefined;
  });
}

export async function findCollection(db: Database, idOrName: string): Promise<Collection> {
  const isId = /^[0-9a-f-]{36}$/i.test(idOrName);
  const collection = isId
    ? await getCollectionById({ db, id: idOrName })
    : await getCollectionByName({ db, name: idOrName });
  if (!collection) throw new AppError("not_found:collection", { message: `No collection ${idOrName}.` });
  return collection;
}

export async function findGroup(db: Database, idOrName: string): Promise<Group> {
  const isId = /^[0-9a-f-]{36}$/i.test(idOrName);
  const group = isId
    ? await getGroupById({ db, id: idOrName })
    : await getGroupByName({ db, name: idOrName });
  if (!group) throw new AppError("not_found:group", { message: `No group ${idOrName}.` });
  return group;
}
