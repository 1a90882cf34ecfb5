import { and, desc, eq, gt, isNull, or, sql } from "drizzle-orm";
import type { Executor } from "../client";
import { type ApiToken, apiTokens, type User, users } from "../schema";

export async function insertApiToken({
  db,
  token,
}: {
  db: Executor;
  token: { userId: string; name: string; tokenHash: string; prefix: string; expiresAt: Date | null };
}): Promise<ApiToken> {
  const [row] = await db.insert(apiTokens).values(token).returning();
  if (!row) throw new Error("token insert returned nothing");
  return row;
}

/** A token that exists, is not revoked and has not expired, with its user. */
export async function getLiveApiToken({
  db,
  tokenHash,
}: {
  db: Executor;
  tokenHash: string;
}): Promise<{ token: ApiToken; user: User } | undefined> {
  const [row] = await db
    .select({ token: apiTokens, user: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(
      and(
        eq(apiTokens.tokenHash, tokenHash),
        isNull(apiTokens.revokedAt),
        or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, sql`now()`)),
      ),
    );
  return row;
}

export async function markApiTokenUsed({ db, id }: { db: Executor; id: string }): Promise<void> {
  await db.update(apiTokens).set({ lastUsedAt: sql`now()` }).where(eq(apiTokens.id, id));
}

export async function listApiTokens({
  db,
  userId,
}: {
  db: Executor;
  userId?: string;
}): Promise<Array<{ token: ApiToken; email: string }>> {
  return db
    .select({ token: apiTokens, email: users.email })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(userId ? eq(apiTokens.userId, userId) : undefined)
    .orderBy(desc(apiTokens.createdAt));
}

/** Revokes a token by id or by its shown prefix; returns the revoked row. */
export async function revokeApiToken({
  db,
  idOrPrefix,
  userId,
}: {
  db: Executor;
  idOrPrefix: string;
  /** Restricts to this user's tokens. */
  userId?: string;
}): Promise<ApiToken | undefined> {
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrPrefix);
  const [row] = await db
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(
      and(
        isUuid ? eq(apiTokens.id, idOrPrefix) : eq(apiTokens.prefix, idOrPrefix),
        isNull(apiTokens.revokedAt),
        userId ? eq(apiTokens.userId, userId) : undefined,
      ),
    )
    .returning();
  return row;
}

/** Revokes every live token of a user; returns how many. */
export async function revokeUserApiTokens({ db, userId }: { db: Executor; userId: string }): Promise<number> {
  const revoked = await db
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return revoked.length;
}
