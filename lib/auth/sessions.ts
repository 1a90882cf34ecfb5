import type { Executor } from "../../db/client";
import {
  deleteSession,
  deleteUserSessions,
  getLiveSession,
  insertSession,
  touchSession,
} from "../../db/queries/sessions";
import type { User } from "../../db/schema";
import { createSecretToken, hashSecretToken, looksLikeSecretToken } from "./secret-token";

export interface SessionPolicy {
  /** A session unused this long ends. */
  idleMinutes: number;
  /** A session ends this long after sign-in, however busy. */
  maxHours: number;
}

export type SignInMethod = "password" | "oidc" | "link";

/**
 * Starts a new session with a fresh random id — never one the browser brought — so a session id
 * planted before sign-in (fixation) is worthless after it.
 */
export async function startSession(
  db: Executor,
  { userId, method, policy }: { userId: string; method: SignInMethod; policy: SessionPolicy },
): Promise<{ token: string; expiresAt: Date }> {
  const { token, hash } = createSecretToken("fst");
  const expiresAt = new Date(Date.now() + policy.maxHours * 3_600_000);
  await insertSession({ db, session: { idHash: hash, userId, method, expiresAt } });
  return { token, expiresAt };
}

/** lastSeenAt is written at most this often per session, not on every request. */
const touchIntervalMs = 60_000;

/**
 * The user behind a session token, checked on every request: the session must exist, be within
 * its absolute and idle limits, and its user must not be disabled. Anything else is undefined.
 */
export async function resolveSession(
  db: Executor,
  { token, policy }: { token: string; policy: SessionPolicy },
): Promise<{ user: User; idHash: string } | undefined> {
  if (!looksLikeSecretToken(token, "fst")) return undefined;
  const idHash = hashSecretToken(token);
  const found = await getLiveSession({ db, idHash });
  if (!found || found.user.disabledAt) return undefined;
  const idleMs = Date.now() - found.session.lastSeenAt.getTime();
  if (idleMs > policy.idleMinutes * 60_000) {
    await deleteSession({ db, idHash });
    return undefined;
  }
  if (idleMs > touchIntervalMs) await touchSession({ db, idHash });
  return { user: found.user, idHash };
}

export async function endSession(db: Executor, token: string): Promise<void> {
  if (!looksLikeSecretToken(token, "fst")) return;
  await deleteSession({ db, idHash: hashSecretToken(token) });
}

/** Signs the user out on every device (their API tokens stay; revoke those separately). */
export async function endAllSessions(db: Executor, userId: string): Promise<number> {
  return deleteUserSessions({ db, userId });
}
