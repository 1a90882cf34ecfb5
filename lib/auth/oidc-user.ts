import type { Database, Executor } from "../../db/client";
import { listGroupGrants } from "../../db/queries/grants";
import { syncOidcGroupMemberships } from "../../db/queries/groups";
import { getOidcIdentity, insertOidcIdentity } from "../../db/queries/oidc";
import { getUserByEmail, getUserById, insertUser } from "../../db/queries/users";
import type { User } from "../../db/schema";
import { appendAuditEvent } from "../audit/append-audit-event";
import { AppError, asAppError } from "../errors";
import type { OidcProfile } from "./oidc-profile";
import { recordFailedSignIn, type SignInFailureReason } from "./record-failed-sign-in";

/**
 * The Folio user an IdP identity signs in as, in one transaction with its group memberships and
 * audit events:
 *
 * 1. an identity (issuer, sub) seen before → its user;
 * 2. else a user with the same email, only when the IdP says `email_verified: true` → linked
 *    (an unverified address could belong to anyone who typed it at the IdP);
 * 3. else, when `autoCreateUsers`, a new employee named after the `name` claim; else refused.
 *
 * Disabled users are refused. Memberships in groups mapped to an OIDC group are then made to
 * match the groups claim (an absent claim means no groups: stale access is not kept).
 */
export async function resolveOidcUser(
  db: Database,
  input: { issuer: string; profile: OidcProfile; autoCreateUsers: boolean },
): Promise<User> {
  const { issuer, profile } = input;
  return db.transaction(async (tx) => {
    const user = await findOrCreateUser(tx, input);
    const { joined, left } = await syncOidcGroupMemberships({
      tx,
      userId: user.id,
      claimedGroups: profile.groups,
    });
    for (const [groups, action] of [
      [joined, "group.member_add"],
      [left, "group.member_remove"],
    ] as const) {
      for (const group of groups) {
        const grants = await listGroupGrants({ db: tx, groupId: group.id });
        await appendAuditEvent(tx, {
          actor: user.id,
          action,
          subject: `group:${group.id}`,
          payload: {
            userId: user.id,
            via: "oidc",
            issuer,
            oidcGroup: group.oidcGroup,
            collectionIds: grants.map((grant) => grant.collectionId),
          },
        });
      }
    }
    return user;
  });
}

/** The refusals of resolveOidcUser that concern a person the IdP vouched for, by reason. */
const refusalReasons: Partial<Record<string, SignInFailureReason>> = {
  "forbidden:no_account": "no_account",
  "forbidden:account_disabled": "account_disabled",
  "conflict:email_unverified": "email_unverified",
  "invalid:oidc_claims": "missing_email",
};

/**
 * Records resolveOidcUser's refusal of a verified identity as `auth.sign_in_failed`, naming the
 * Folio account it matched when there is one. Other errors (a race, an outage) record nothing.
 */
export async function recordRefusedOidcUser(
  db: Database,
  input: { issuer: string; profile: OidcProfile; error: unknown; address?: string },
): Promise<void> {
  const reason = refusalReasons[asAppError(input.error).code];
  if (!reason) return;
  const { issuer, profile } = input;
  const linked = await getOidcIdentity({ db, issuer, subject: profile.subject });
  const sameEmail = !linked && profile.email ? await getUserByEmail({ db, email: profile.email }) : undefined;
  const userId = linked?.userId ?? sameEmail?.id;
  await recordFailedSignIn(db, {
    method: "oidc",
    reason,
    email: profile.email,
    ...(userId ? { userId } : {}),
    ...(input.address === undefined ? {} : { address: input.address }),
    issuer,
    oidcSubject: profile.subject,
  });
}

async function findOrCreateUser(
  tx: Executor,
  { issuer, profile, autoCreateUsers }: { issuer: string; profile: OidcProfile; autoCreateUsers: boolean },
): Promise<User> {
  const identity = { issuer, subject: profile.subject };
  const linked = await getOidcIdentity({ db: tx, ...identity });
  if (linked) {
    const user = await getUserById({ db: tx, id: linked.userId });
    if (!user) throw new AppError("internal:unexpected", { message: "An OIDC identity without its user." });
    return refuseDisabled(user);
  }

  const sameEmail = profile.email ? await getUserByEmail({ db: tx, email: profile.email }) : undefined;
  if (sameEmail) {
    if (!profile.isEmailVerified) {
      throw new AppError("conflict:email_unverified", {
        message:
          "A Folio account with this email exists, but the sign-in provider did not confirm the email is yours. Ask an admin.",
      });
    }
    refuseDisabled(sameEmail);
    await link(tx, { ...identity, userId: sameEmail.id });
    await appendAuditEvent(tx, {
      actor: sameEmail.id,
      action: "user.link_oidc",
      subject: `user:${sameEmail.id}`,
      payload: { email: sameEmail.email, issuer, oidcSubject: profile.subject },
    });
    return sameEmail;
  }

  if (!autoCreateUsers) {
    throw new AppError("forbidden:no_account", {
      message: "There is no Folio account for you yet. Ask an admin to add you.",
    });
  }
  if (!profile.email) {
    throw new AppError("invalid:oidc_claims", {
      message: "The sign-in provider did not share an email address, which a new Folio account needs.",
    });
  }
  const created = await insertUser({
    tx,
    user: { email: profile.email, displayName: profile.name ?? profile.email, role: "employee" },
  });
  // Only a concurrent sign-in with the same email gets here: the loser tries again.
  if (!created) throw new AppError("conflict:user", { message: "The account was just created; try again." });
  await link(tx, { ...identity, userId: created.id });
  await appendAuditEvent(tx, {
    actor: created.id,
    action: "user.create",
    subject: `user:${created.id}`,
    payload: { email: created.email, role: created.role, via: "oidc", issuer, oidcSubject: profile.subject },
  });
  return created;
}

async function link(
  tx: Executor,
  identity: { issuer: string; subject: string; userId: string },
): Promise<void> {
  if (!(await insertOidcIdentity({ tx, identity }))) {
    throw new AppError("conflict:user", { message: "This sign-in was just linked; try again." });
  }
}

function refuseDisabled(user: User): User {
  if (user.disabledAt) {
    throw new AppError("forbidden:account_disabled", { message: "This Folio account is disabled." });
  }
  return user;
}
