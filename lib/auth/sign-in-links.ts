import type { Database, Executor } from "../../db/client";
import { deleteUserSessions } from "../../db/queries/sessions";
import { getUsableSignInLink, insertSignInLink, useSignInLink } from "../../db/queries/sign-in-links";
import { countUsers, getUserById, insertUser, lockUsersTable, updateUser } from "../../db/queries/users";
import type { User } from "../../db/schema";
import { appendAuditEvent } from "../audit/append-audit-event";
import { AppError } from "../errors";
import type { ChangeActor } from "./manage-users";
import { hashPassword } from "./password";
import { recordFailedSignIn } from "./record-failed-sign-in";
import { createSecretToken, hashSecretToken, looksLikeSecretToken } from "./secret-token";
import { type SessionPolicy, startSession } from "./sessions";

/** @default 24 h for the first-admin link, 72 h for a new user's link. */
const setupLinkHours = 24;
const signInLinkHours = 72;

/** The token travels in the URL fragment: never sent to a server, never in an access log. */
export function signInLinkUrl(publicUrl: string, purpose: "setup" | "sign_in", token: string): string {
  return `${publicUrl}/${purpose === "setup" ? "setup" : "welcome"}#${token}`;
}

/**
 * On an install without users: a one-time link that creates the first admin, recorded as
 * `sign_in_link.create` by `system`. Otherwise undefined.
 */
export async function createSetupLinkIfNoUsers(db: Database): Promise<string | undefined> {
  if ((await countUsers({ db })) > 0) return undefined;
  return issueLink(db, "system", { purpose: "setup", userId: null, hours: setupLinkHours });
}

/**
 * A one-time link that signs `userId` in (and lets them choose a password): a credential, so it
 * is recorded as `sign_in_link.create`. `actor` is the admin who asked.
 * @default actor "cli" — the admin command line, where nobody is signed in.
 */
export async function createSignInLink(
  db: Database,
  userId: string,
  actor: ChangeActor = "cli",
): Promise<string> {
  return issueLink(db, actor, { purpose: "sign_in", userId, hours: signInLinkHours });
}

async function issueLink(
  db: Database,
  actor: ChangeActor,
  link: { purpose: "setup" | "sign_in"; userId: string | null; hours: number },
): Promise<string> {
  const { token, hash } = createSecretToken("fln");
  const expiresAt = hoursFromNow(link.hours);
  await db.transaction(async (tx) => {
    const { id } = await insertSignInLink({
      db: tx,
      link: { tokenHash: hash, purpose: link.purpose, userId: link.userId, expiresAt },
    });
    await appendAuditEvent(tx, {
      actor,
      action: "sign_in_link.create",
      subject: `sign_in_link:${id}`,
      payload: { purpose: link.purpose, userId: link.userId, expiresAt },
    });
  });
  return token;
}

/** What a link is for, without using it: the page asks before it shows a form. */
export async function inspectSignInLink(
  db: Database,
  token: string,
): Promise<{ purpose: "setup" | "sign_in"; email: string | null }> {
  const link = looksLikeSecretToken(token, "fln")
    ? await getUsableSignInLink({ db, tokenHash: hashSecretToken(token) })
    : undefined;
  if (!link) throw invalidLink();
  const user = link.userId ? await getUserById({ db, id: link.userId }) : undefined;
  return { purpose: link.purpose, email: user?.email ?? null };
}

export interface RedeemInput {
  token: string;
  /** Required to set up the first admin; optional for a sign-in link (sets the user's password). */
  password?: string;
  /** Setup only: the first admin's email and name. */
  email?: string;
  displayName?: string;
  policy: SessionPolicy;
  /** The client address, for the `auth.sign_in` event. */
  address?: string;
}

/**
 * Uses the link once (atomically) and starts a session for the user it names or creates. A new
 * password is recorded as `user.update`, the session as `auth.sign_in`; a link for an account
 * disabled since it was made as `auth.sign_in_failed`.
 */
export async function redeemSignInLink(
  db: Database,
  input: RedeemInput,
): Promise<{ user: User; token: string; expiresAt: Date }> {
  if (!looksLikeSecretToken(input.token, "fln")) throw invalidLink();
  const passwordHash = input.password ? await hashPassword(input.password) : undefined;
  let refused: User | undefined;
  const redeemed = await db
    .transaction(async (tx) => {
      const link = await useSignInLink({ tx, tokenHash: hashSecretToken(input.token) });
      if (!link) throw invalidLink();
      if (link.purpose === "setup") return { link, user: await createFirstAdmin(tx, input, passwordHash) };
      const existing = link.userId ? await getUserById({ db: tx, id: link.userId }) : undefined;
      if (!existing) throw invalidLink();
      if (existing.disabledAt) {
        refused = existing;
        throw invalidLink();
      }
      if (!passwordHash) return { link, user: existing };
      // A new password ends the other sessions, as every password change does: a user resetting a
      // password someone else learned must not leave that person signed in.
      const endedSessions = await deleteUserSessions({ db: tx, userId: existing.id });
      const updated = await updateUser({ tx, id: existing.id, changes: { passwordHash } });
      await appendAuditEvent(tx, {
        actor: existing.id,
        action: "user.update",
        subject: `user:${existing.id}`,
        payload: {
          email: existing.email,
          role: null,
          disabled: null,
          passwordChanged: true,
          revokedTokens: 0,
          endedSessions,
          via: "sign_in_link",
          linkId: link.id,
        },
      });
      return { link, user: updated ?? existing };
    })
    .catch(async (error: unknown) => {
      if (refused) {
        await recordFailedSignIn(db, {
          method: "link",
          reason: "account_disabled",
          email: refused.email,
          userId: refused.id,
          ...(input.address === undefined ? {} : { address: input.address }),
        });
      }
      throw error;
    });
  const { user, link } = redeemed;
  const session = await startSession(db, {
    userId: user.id,
    method: "link",
    policy: input.policy,
    context: {
      ...(input.address === undefined ? {} : { address: input.address }),
      linkId: link.id,
      linkPurpose: link.purpose,
    },
  });
  return { user, ...session };
}

async function createFirstAdmin(
  tx: Executor,
  input: RedeemInput,
  passwordHash: string | undefined,
): Promise<User> {
  if (!input.email || !passwordHash) {
    throw new AppError("invalid:request", { message: "The first admin needs an email and a password." });
  }
  await lockUsersTable({ tx });
  if ((await countUsers({ db: tx })) > 0) {
    throw new AppError("conflict:user", { message: "Folio already has an admin; sign in instead." });
  }
  const created = await insertUser({
    tx,
    user: {
      email: input.email,
      displayName: input.displayName?.trim() || input.email,
      role: "admin",
      passwordHash,
    },
  });
  if (!created) throw new AppError("conflict:email_taken", { message: "That email is taken." });
  await appendAuditEvent(tx, {
    actor: created.id,
    action: "user.create",
    subject: `user:${created.id}`,
    payload: { email: created.email, role: created.role, via: "setup_link" },
  });
  return created;
}

function invalidLink(): AppError {
  return new AppError("invalid:link", {
    message:
      "This link is not valid any more: it was used, it expired, or it was copied wrong. Ask an admin for a new one.",
  });
}

function hoursFromNow(hours: number): Date {
  return new Date(Date.now() + hours * 3_600_000);
}
