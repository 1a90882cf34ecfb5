import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Executor } from "../client";
import { signInLinks } from "../schema";

export type SignInLink = typeof signInLinks.$inferSelect;

export async function insertSignInLink({
  db,
  link,
}: {
  db: Executor;
  link: { tokenHash: string; purpose: SignInLink["purpose"]; userId: string | null; expiresAt: Date };
}): Promise<{ id: string }> {
  const [row] = await db.insert(signInLinks).values(link).returning({ id: signInLinks.id });
  if (!row) throw new Error("sign-in link insert returned nothing");
  return row;
}

/** A link that exists, is unused and unexpired (without using it). */
export async function getUsableSignInLink({
  db,
  tokenHash,
}: {
  db: Executor;
  tokenHash: string;
}): Promise<SignInLink | undefined> {
  const [row] = await db
    .select()
    .from(signInLinks)
    .where(
      and(
        eq(signInLinks.tokenHash, tokenHash),
        isNull(signInLinks.usedAt),
        gt(signInLinks.expiresAt, sql`now()`),
      ),
    );
  return row;
}

/** Marks the link used, atomically: of two concurrent uses exactly one gets the row back. */
export async function useSignInLink({
  tx,
  tokenHash,
}: {
  tx: Executor;
  tokenHash: string;
}): Promise<SignInLink | undefined> {
  const [row] = await tx
    .update(signInLinks)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(signInLinks.tokenHash, tokenHash),
        isNull(signInLinks.usedAt),
        gt(signInLinks.expiresAt, sql`now()`),
      ),
    )
    .returning();
  return row;
}

/** Voids every unused link of a user (a disabled account's links must not outlive it). */
export async function deleteUnusedSignInLinks({
  db,
  userId,
}: {
  db: Executor;
  userId: string;
}): Promise<number> {
  const rows = await db
    .delete(signInLinks)
    .where(and(eq(signInLinks.userId, userId), isNull(signInLinks.usedAt)))
    .returning({ tokenHash: signInLinks.tokenHash });
  return rows.length;
}
