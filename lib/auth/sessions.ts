import type { Database, Executor } from "../../db/client";
import {
  deleteSession,
  deleteUserSessions,
  getLiveSession,
  insertSession,
  touchSession,
} from "../../db/queries/sessions";
import type { User } from "../../db/schema";
import { appendAuditEvent } from "../audit/append-audit-event";
import { createSecretToken, hashSecretToken, looksLikeSecretToken } from "./secret-token";

export interface SessionPolicy {
  /** A session unused this long ends. */
  idleMinutes: number;
  /** A session ends this long after sign-in, however busy. */
  maxHours: number;
}

export type SignInMethod = "password" | "oidc" | "link";

/** What the `auth.sign_in` event says besides the method; never a secret. */
export interface SignInContext {
  /** The client address, as the request boundary decided it. */
  address?: string;
  /** OIDC: the issuer that vouched for the user. */
  issuer?: string;
  /** One-time link: which link, and what it was for. */
  linkId?: string;
  linkPurpose?: "setup" | "sign_in";
}

/**
 * Starts a new session with a fresh random id — never one the browser brought — so a session id
 * planted before sign-in (fixation) is worthless after it. Recorded as `auth.sign_in` in the same
 * transaction.
 */
export async function startSession(
  db: Database,
  {
    userId,
    method,
    policy,
    context = {},
  }: { userId: string; method: SignInMethod; policy: SessionPolicy; context?: SignInContext },
): Promise<{ token: string; expiresAt: Date }> {
  const { token, hash } = createSecretToken("fst");
  const expiresAt = new Date(Date.now() + policy.maxHours * 3_600_000);
  await db.transaction(async (tx) => {
    await insertSession({ db: tx, session: { idHash: hash, userId, method, expiresAt } });
    await appendAuditEvent(tx, {
      actor: userId,
      action: "auth.sign_in",
      subject: `user:${userId}`,
      payload: { method, expiresAt, ...context },
    });
  });
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

/**
 * Signs out of one session, recorded as `auth.sign_out` when there was a session to end (an
 * unknown or already-ended one changes nothing and records nothing).
 */
export async function endSession(db: Database, token: string): Promise<void> {
  if (!looksLikeSecretToken(token, "fst")) return;
  await db.transaction(async (tx) => {
    const ended = await deleteSession({ db: tx, idHash: hashSecretToken(token) });
    if (!ended) return;
    await appendAuditEvent(tx, {
      actor: ended.userId,
      action: "auth.sign_out",
      subject: `user:${ended.userId}`,
      payload: { scope: "session", method: ended.method, endedSessions: 1 },
    });
  });
}

/**
 * Signs the user out on every device (their API tokens stay; revoke those separately), recorded
 * as `auth.sign_out` with scope `everywhere` when any session ended.
 */
export async function endAllSessions(db: Database, userId: string): Promise<number> {
  return db.transaction(async (tx) => {
    const endedSessions = await deleteUserSessions({ db: tx, userId });
    if (endedSessions > 0) {
      await appendAuditEvent(tx, {
        actor: userId,
        action: "auth.sign_out",
        subject: `user:${userId}`,
        payload: { scope: "everywhere", endedSessions },
      });
    }
    return endedSessions;
  });
}
