import type { Database, Executor } from "../../db/client";
import {
  getLiveApiToken,
  insertApiToken,
  markApiTokenUsed,
  revokeApiToken,
} from "../../db/queries/api-tokens";
import type { ApiToken, User } from "../../db/schema";
import { appendAuditEvent } from "../audit/append-audit-event";
import { AppError } from "../errors";
import { createSecretToken, hashSecretToken, looksLikeSecretToken } from "./secret-token";

/** `30d`, `12h`, `90m`, `45s` → milliseconds (seconds mostly serve tests of expiry). */
export function parseDuration(text: string): number {
  const match = /^(\d{1,6})([dhms])$/.exec(text.trim());
  if (!match) {
    throw new AppError("invalid:request", {
      message: `"${text}" is not a duration; use e.g. 30d, 12h, 90m or 45s.`,
    });
  }
  const unitMs = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[match[2] as "d" | "h" | "m" | "s"];
  const durationMs = Number(match[1]) * unitMs;
  if (durationMs === 0) {
    throw new AppError("invalid:request", {
      message: `"${text}" is not a duration; it must be longer than 0.`,
    });
  }
  return durationMs;
}

/** Creates a token for the user; the token itself is returned once and never stored. */
export async function createApiToken(
  db: Executor,
  { userId, name, expiresInMs }: { userId: string; name: string; expiresInMs?: number },
): Promise<{ token: string; record: ApiToken }> {
  const { token, hash } = createSecretToken("fol");
  const record = await insertApiToken({
    db,
    token: {
      userId,
      name,
      tokenHash: hash,
      prefix: token.slice(0, 12),
      expiresAt: expiresInMs === undefined ? null : new Date(Date.now() + expiresInMs),
    },
  });
  return { token, record };
}

/** The user a bearer token acts for, or undefined for a malformed, unknown, revoked or expired token. */
export async function resolveApiToken(db: Executor, token: string): Promise<User | undefined> {
  if (!looksLikeSecretToken(token, "fol")) return undefined;
  const found = await getLiveApiToken({ db, tokenHash: hashSecretToken(token) });
  if (!found || found.user.disabledAt) return undefined;
  const lastUsedMs = found.token.lastUsedAt?.getTime() ?? 0;
  if (Date.now() - lastUsedMs > 60_000) await markApiTokenUsed({ db, id: found.token.id });
  return found.user;
}

/**
 * Issues a token for an active user (API or CLI), recorded in the audit log in the same
 * transaction. `actor` is who asked: the user themselves, or `cli`.
 */
export async function issueApiToken(
  db: Database,
  actor: string,
  input: { user: User; name: string; expiresInMs?: number },
): Promise<{ token: string; record: ApiToken }> {
  if (input.user.disabledAt) {
    throw new AppError("conflict:user", { message: `${input.user.email} is disabled; enable them first.` });
  }
  return db.transaction(async (tx) => {
    const created = await createApiToken(tx, {
      userId: input.user.id,
      name: input.name,
      expiresInMs: input.expiresInMs,
    });
    await appendAuditEvent(tx, {
      actor,
      action: "token.create",
      subject: `token:${created.record.id}`,
      payload: { userId: input.user.id, name: input.name, expiresAt: created.record.expiresAt },
    });
    return created;
  });
}

/** Revokes a live token by id or shown prefix (only `userId`'s when given), with its audit event. */
export async function revokeApiTokenRecorded(
  db: Database,
  actor: string,
  input: { idOrPrefix: string; userId?: string },
): Promise<ApiToken> {
  return db.transaction(async (tx) => {
    const revoked = await revokeApiToken({ db: tx, idOrPrefix: input.idOrPrefix, userId: input.userId });
    if (!revoked)
      throw new AppError("not_found:token", { message: `No live API token ${input.idOrPrefix}.` });
    await appendAuditEvent(tx, {
      actor,
      action: "token.revoke",
      subject: `token:${revoked.id}`,
      payload: { userId: revoked.userId, name: revoked.name },
    });
    return revoked;
  });
}
