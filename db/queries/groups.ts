import { and, asc, eq, inArray, isNotNull } from "drizzle-orm";
import type { Database, Executor } from "../client";
import { type Group, groupMembers, groups, users } from "../schema";

export async function insertGroup({
  db,
  name,
  oidcGroup,
}: {
  db: Executor;
  name: string;
  oidcGroup?: string | null;
}): Promise<Group | undefined> {
  const [row] = await db
    .insert(groups)
    .values({ name, oidcGroup: oidcGroup ?? null })
    .onConflictDoNothing()
    .returning();
  return row;
}

export async function getGroupByName({
  db,
  name,
}: {
  db: Executor;
  name: string;
}): Promise<Group | undefined> {
  const [row] = await db.select().from(groups).where(eq(groups.name, name));
  return row;
}

export async function getGroupById({ db, id }: { db: Executor; id: string }): Promise<Group | undefined> {
  const [row] = await db.select().from(groups).where(eq(groups.id, id));
  return row;
}

export async function deleteGroup({ db, id }: { db: Executor; id: string }): Promise<Group | undefined> {
  const [row] = await db.delete(groups).where(eq(groups.id, id)).returning();
  return row;
}

export interface GroupWithMembers extends Group {
  members: Array<{ userId: string; email: string }>;
}

export async function listGroupsWithMembers({ db }: { db: Database }): Promise<GroupWithMembers[]> {
  const all = await db.select().from(groups).orderBy(asc(groups.name));
  const memberships = await db
    .select({ groupId: groupMembers.groupId, userId: users.id, email: users.email })
    .from(groupMembers)
    .innerJoin(users, eq(users.id, groupMembers.userId))
    .orderBy(asc(users.email));
  return all.map((group) => ({
    ...group,
    members: memberships
      .filter((member) => member.groupId === group.id)
      .map(({ userId, email }) => ({ userId, email })),
  }));
}

export async function addGroupMember({
  db,
  groupId,
  userId,
}: {
  db: Executor;
  groupId: string;
  userId: string;
}): Promise<boolean> {
  const inserted = await db
    .insert(groupMembers)
    .values({ groupId, userId })
    .onConflictDoNothing()
    .returning({ groupId: groupMembers.groupId });
  return inserted.length > 0;
}

export async function removeGroupMember({
  db,
  groupId,
  userId,
}: {
  db: Executor;
  groupId: string;
  userId: string;
}): Promise<boolean> {
  const removed = await db
    .delete(groupMembers)
    .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, userId)))
    .returning({ groupId: groupMembers.groupId });
  return removed.length > 0;
}

/**
 * Makes the user's memberships in OIDC-mapped groups exactly those the claim names; groups
 * without an OIDC mapping are managed in Folio and left alone. Returns the groups joined and
 * left, for the audit record.
 */
export async function syncOidcGroupMemberships({
  tx,
  userId,
  claimedGroups,
}: {
  tx: Executor;
  userId: string;
  claimedGroups: readonly string[];
}): Promise<{ joined: Group[]; left: Group[] }> {
  const mapped = await tx.select().from(groups).where(isNotNull(groups.oidcGroup));
  const wanted = mapped.filter((group) => group.oidcGroup && claimedGroups.includes(group.oidcGroup));
  const unwantedIds = mapped.filter((group) => !wanted.includes(group)).map((group) => group.id);
  const removed =
    unwantedIds.length > 0
      ? await tx
          .delete(groupMembers)
          .where(and(eq(groupMembers.userId, userId), inArray(groupMembers.groupId, unwantedIds)))
          .returning({ groupId: groupMembers.groupId })
      : [];
  const added =
    wanted.length > 0
      ? await tx
          .insert(groupMembers)
          .values(wanted.map((group) => ({ groupId: group.id, userId })))
          .onConflictDoNothing()
          .returning({ groupId: groupMembers.groupId })
      : [];
  const groupsOf = (rows: Array<{ groupId: string }>) =>
    mapped.filter((group) => rows.some((row) => row.groupId === group.id));
  return { joined: groupsOf(added), left: groupsOf(removed) };
}
