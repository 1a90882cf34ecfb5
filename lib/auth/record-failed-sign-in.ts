import type { Database } from "../../db/client";
import { normalizeEmail } from "../../db/queries/users";
import { appendAuditEvent } from "../audit/append-audit-event";
import type { SignInMethod } from "./sessions";
import { recordSignInFailure, type SignInAttemptKeys } from "./sign-in-rate-limit";

/** Why a sign-in was refused, as the ledger says it (the person signing in sees one message). */
export type SignInFailureReason =
  | "unknown_account"
  | "wrong_password"
  | "no_password"
  | "account_disabled"
  | "no_account"
  | "email_unverified"
  | "missing_email";

export interface FailedSignIn {
  method: SignInMethod;
  reason: SignInFailureReason;
  /** The email as typed, or as the IdP sent it. */
  email: string | undefined;
  /** The account the attempt was for, when there is one. */
  userId?: string;
  address?: string;
  /** OIDC: who vouched for the person, and as whom. */
  issuer?: string;
  oidcSubject?: string;
  /** Password attempts also count toward the per-account and per-address limits. */
  rateLimitKeys?: SignInAttemptKeys;
}

/**
 * Records a refused sign-in as `auth.sign_in_failed` (actor `anonymous`: nobody is signed in),
 * in one transaction with its rate-limit count. Never a password: an email that names no account
 * is kept only when it has the shape of an address (`name@host.tld`), because a password typed
 * into the email field would otherwise land in a ledger that can never be edited.
 */
export async function recordFailedSignIn(db: Database, failure: FailedSignIn): Promise<void> {
  const { rateLimitKeys, userId, email, ...rest } = failure;
  const typed = email === undefined ? "" : normalizeEmail(email);
  await db.transaction(async (tx) => {
    if (rateLimitKeys) await recordSignInFailure(tx, rateLimitKeys);
    await appendAuditEvent(tx, {
      actor: "anonymous",
      action: "auth.sign_in_failed",
      subject: userId ? `user:${userId}` : "user:unknown",
      payload: {
        ...rest,
        email: userId || isEmailShaped(typed) ? typed : null,
        ...(userId ? { userId } : {}),
      },
    });
  });
}

function isEmailShaped(text: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text) && text.length <= 254;
}
