import { and, asc, count, eq, isNull, ne, sql } from "drizzle-orm";
import type { Database, Executor } from "../client";
import { type User, users } from "../schema";

export type Role = User["role"];

/** Emails are compared and stored lower-case and trimmed. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function countUsers({ db }: { db: Executor }): Promise<number> {
  const [row] = await db.select({ value: count() }).from(users);
  return row?.value ?? 0;
}

export async function insertUser({
  tx,
  user,
}: {
  tx: Executor;
  user: { email: string; displayName: string; role: Role; passwordHash?: string | null };
}): Promise<User | undefined> {
  const [row] = await tx
    .insert(users)
    .values({ ...user, email: normalizeEmail(user.email) })
    .onConflictDoNothing()
    .returning();
  return row;
}

export async function getUserById({ db, id }: { db: Executor; id: string }): Promise<User | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row;
}

export async function getUserByEmail({
  db,
  email,
}: {
  db: Executor;
  email: string;
}): Promise<User | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(eq(users.email, normalizeEmail(email)));
  return row;
}

export async function listUsers({ db }: { db: Database }): Promise<User[]> {
  return db.select().from(users).orderBy(asc(users.email));
}

export async function updateUser({
  tx,
  id,
  changes,
}: {
  tx: Executor;
  id: string;
  changes: Partial<Pick<User, "role" | "displayName" | "passwordHash" | "disabledAt">>;
}): Promise<User | undefined> {
  const [row] = await tx.update(users).set(changes).where(eq(users.id, id)).returning();
  return row;
}

/**
 * Active admins other than `exceptUserId`: the last one may not be demoted or disabled. Callers
 * take `lockUsersTable` first so two concurrent demotions cannot both pass.
 */
export async function countOtherActiveAdmins({
  tx,
  exceptUserId,
}: {
  tx: Executor;
  exceptUserId: string;
}): Promise<number> {
  const [row] = await tx
    .select({ value: count() })
    .from(users)
    .where(and(eq(users.role, "admin"), isNull(users.disabledAt), ne(users.id, exceptUserId)));
  return row?.value ?? 0;
}

/** Serialises changes that depend on who else exists (the first admin, the last admin). */
export async function lockUsersTable({ tx }: { tx: Executor }): Promise<void> {
  await tx.execute(sql`LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`);
}
