import type { Database } from "../../db/client";
import { revokeUserApiTokens } from "../../db/queries/api-tokens";
import { deleteUserSessions } from "../../db/queries/sessions";
import { deleteUnusedSignInLinks } from "../../db/queries/sign-in-links";
import {
  countOtherActiveAdmins,
  getUserByEmail,
  getUserById,
  insertUser,
  lockUsersTable,
  updateUser,
} from "../../db/queries/users";
import type { User } from "../../db/schema";
import { appendAuditEvent } from "../audit/append-audit-event";
import type { Role } from "../domain/actor";
import { AppError } from "../errors";
import { hashPassword } from "./password";

/** Who made an administrative change: a user id, or `cli` for the admin command line. */
export type ChangeActor = string;

export async function addUser(
  db: Database,
  actor: ChangeActor,
  input: { email: string; displayName?: string; role: Role; password?: string },
): Promise<User> {
  const email = input.email.trim();
  if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 254) {
    throw new AppError("invalid:request", { message: `"${input.email}" is not an email address.` });
  }
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  return db.transaction(async (tx) => {
    const user = await insertUser({
      tx,
      user: { email, displayName: input.displayName?.trim() || email, role: input.role, passwordHash },
    });
    if (!user) throw new AppError("conflict:email_taken", { message: `A user with email ${email} exists.` });
    await appendAuditEvent(tx, {
      actor,
      action: "user.create",
      subject: `user:${user.id}`,
      payload: { email: user.email, role: user.role, hasPassword: passwordHash !== null },
    });
    return user;
  });
}

export async function findUser(db: Database, idOrEmail: string): Promise<User> {
  const isId = /^[0-9a-f-]{36}$/i.test(idOrEmail);
  const user = isId
    ? await getUserById({ db, id: idOrEmail })
    : await getUserByEmail({ db, email: idOrEmail });
  if (!user) throw new AppError("not_found:user", { message: `No user ${idOrEmail}.` });
  return user;
}

/**
 * Changes role and/or disables or re-enables an account. Disabling ends every session, revokes
 * every API token and voids every unused sign-in link at once — re-enabling the account later does not bring back credentials that
 * may be why it was disabled. The last active admin cannot be demoted or disabled — Folio would
 * have nobody to manage it.
 */
export async function changeUser(
  db: Database,
  actor: ChangeActor,
  userId: string,
  changes: { role?: Role; isDisabled?: boolean; password?: string },
): Promise<User> {
  const passwordHash = changes.password ? await hashPassword(changes.password) : undefined;
  return db.transaction(async (tx) => {
    await lockUsersTable({ tx });
    const user = await getUserById({ db: tx, id: userId });
    if (!user) throw new AppError("not_found:user", { message: "No such user." });
    const losesAdmin =
      user.role === "admin" &&
      !user.disabledAt &&
      ((changes.role && changes.role !== "admin") || changes.isDisabled);
    if (losesAdmin && (await countOtherActiveAdmins({ tx, exceptUserId: user.id })) === 0) {
      throw new AppError("conflict:last_admin", {
        message: "This is the last active admin; make someone else admin first.",
      });
    }
    const updated = await updateUser({
      tx,
      id: user.id,
      changes: {
        ...(changes.role ? { role: changes.role } : {}),
        ...(changes.isDisabled === undefined ? {} : { disabledAt: changes.isDisabled ? new Date() : null }),
        ...(passwordHash ? { passwordHash } : {}),
      },
    });
    if (!updated) throw new AppError("not_found:user", { message: "No such user." });
    if (changes.isDisabled || passwordHash) await deleteUserSessions({ db: tx, userId: user.id });
    const revokedTokens = changes.isDisabled ? await revokeUserApiTokens({ db: tx, userId: user.id }) : 0;
    if (changes.isDisabled) await deleteUnusedSignInLinks({ db: tx, userId: user.id });
    await appendAuditEvent(tx, {
      actor,
      action: "user.update",
      subject: `user:${user.id}`,
      payload: {
        email: user.email,
        role: changes.role ?? null,
        disabled: changes.isDisabled ?? null,
        passwordChanged: passwordHash !== undefined,
        revokedTokens,
      },
    });
    return updated;
  });
}
