import { and, asc, eq, inArray, isNull, or } from "drizzle-orm";
import type { Database, Executor } from "../client";
import { type CollectionGrant, collectionGrants, collections, groupMembers, groups, users } from "../schema";

export type GrantPermission = CollectionGrant["permission"];

/** Every grant that reaches this user, directly or through a group. */
export async function listGrantsReachingUser({
  db,
  userId,
}: {
  db: Executor;
  userId: string;
}): Promise<Array<{ collectionId: string; permission: GrantPermission }>> {
  const viaGroups = db
    .select({ groupId: groupMembers.groupId })
    .from(groupMembers)
    .where(eq(groupMembers.userId, userId));
  return db
    .select({ collectionId: collectionGrants.collectionId, permission: collectionGrants.permission })
    .from(collectionGrants)
    .where(or(eq(collectionGrants.userId, userId), inArray(collectionGrants.groupId, viaGroups)));
}

export type Grantee = { userId: string } | { groupId: string };

/** Grants `permission` (replacing a weaker or stronger one the grantee had on this collection). */
export async function upsertGrant({
  db,
  collectionId,
  grantee,
  permission,
}: {
  db: Executor;
  collectionId: string;
  grantee: Grantee;
  permission: GrantPermission;
}): Promise<CollectionGrant> {
  const isUser = "userId" in grantee;
  const [row] = await db
    .insert(collectionGrants)
    .values({
      collectionId,
      userId: isUser ? grantee.userId : null,
      groupId: isUser ? null : grantee.groupId,
      permission,
    })
    .onConflictDoUpdate({
      target: isUser
        ? [collectionGrants.collectionId, collectionGrants.userId]
        : [collectionGrants.collectionId, collectionGrants.groupId],
      set: { permission },
    })
    .returning();
  if (!row) throw new Error("grant upsert returned nothing");
  return row;
}

export async function deleteGrant({
  db,
  collectionId,
  grantee,
}: {
  db: Executor;
  collectionId: string;
  grantee: Grantee;
}): Promise<CollectionGrant | undefined> {
  const [row] = await db
    .delete(collectionGrants)
    .where(
      and(
        eq(collectionGrants.collectionId, collectionId),
        "userId" in grantee
          ? and(eq(collectionGrants.userId, grantee.userId), isNull(collectionGrants.groupId))
          : and(eq(collectionGrants.groupId, grantee.groupId), isNull(collectionGrants.userId)),
      ),
    )
    .returning();
  return row;
}

export interface GrantListing {
  id: string;
  collectionId: string;
  collectionName: string;
  permission: GrantPermission;
  userId: string | null;
  userEmail: string | null;
  groupId: string | null;
  groupName: string | null;
}

export async function listGrants({ db }: { db: Database }): Promise<GrantListing[]> {
  return db
    .select({
      id: collectionGrants.id,
      collectionId: collectionGrants.collectionId,
      collectionName: collections.name,
      permission: collectionGrants.permission,
      userId: collectionGrants.userId,
      userEmail: users.email,
      groupId: collectionGrants.groupId,
      groupName: groups.name,
    })
    .from(collectionGrants)
    .innerJoin(collections, eq(collections.id, collectionGrants.collectionId))
    .leftJoin(users, eq(users.id, collectionGrants.userId))
    .leftJoin(groups, eq(groups.id, collectionGrants.groupId))
    .orderBy(asc(collections.name), asc(users.email), asc(groups.name));
}

/** The grants a group holds (kept in the audit record when the group is deleted). */
export async function listGroupGrants({
  db,
  groupId,
}: {
  db: Executor;
  groupId: string;
}): Promise<Array<{ collectionId: string; permission: GrantPermission }>> {
  return db
    .select({ collectionId: collectionGrants.collectionId, permission: collectionGrants.permission })
    .from(collectionGrants)
    .where(eq(collectionGrants.groupId, groupId));
}
