import { and, eq, gt, sql } from "drizzle-orm";
import type { Executor } from "../client";
import { type Session, sessions, type User, users } from "../schema";

export async function insertSession({
  db,
  session,
}: {
  db: Executor;
  session: { idHash: string; userId: string; method: string; expiresAt: Date };
}): Promise<void> {
  await db.insert(sessions).values(session);
}

/** The session and its user, if the session exists and has not passed its absolute end. */
export async function getLiveSession({
  db,
  idHash,
}: {
  db: Executor;
  idHash: string;
}): Promise<{ session: Session; user: User } | undefined> {
  const [row] = await db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.idHash, idHash), gt(sessions.expiresAt, sql`now()`)));
  return row;
}

export async function touchSession({ db, idHash }: { db: Executor; idHash: string }): Promise<void> {
  await db.update(sessions).set({ lastSeenAt: sql`now()` }).where(eq(sessions.idHash, idHash));
}

/** Deletes the session; returns whose it was (undefined when there was none). */
export async function deleteSession({
  db,
  idHash,
}: {
  db: Executor;
  idHash: string;
}): Promise<Pick<Session, "userId" | "method"> | undefined> {
  const [row] = await db
    .delete(sessions)
    .where(eq(sessions.idHash, idHash))
    .returning({ userId: sessions.userId, method: sessions.method });
  return row;
}

export async function deleteUserSessions({ db, userId }: { db: Executor; userId: string }): Promise<number> {
  const deleted = await db
    .delete(sessions)
    .where(eq(sessions.userId, userId))
    .returning({ idHash: sessions.idHash });
  return deleted.length;
}
