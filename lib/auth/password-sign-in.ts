import type { Database } from "../../db/client";
import { clearAccountFailures } from "../../db/queries/sign-in-failures";
import { getUserByEmail, normalizeEmail } from "../../db/queries/users";
import type { User } from "../../db/schema";
import { AppError } from "../errors";
import { verifyPassword } from "./password";
import { recordFailedSignIn, type SignInFailureReason } from "./record-failed-sign-in";
import { type SessionPolicy, startSession } from "./sessions";
import { assertSignInAllowed } from "./sign-in-rate-limit";

/**
 * Email + password → a new session. Every failure looks the same (unknown account, wrong
 * password, disabled account, no password set) and costs the same time; failures count toward
 * the per-account and per-address limits and are recorded as `auth.sign_in_failed` with their
 * reason. Attempts the limit refuses (429) are not recorded one by one: they change nothing, and
 * a client spraying them must not grow a ledger that can never shrink.
 */
export async function signInWithPassword(
  db: Database,
  input: { email: string; password: string; address: string; policy: SessionPolicy },
): Promise<{ user: User; token: string; expiresAt: Date }> {
  const keys = { account: normalizeEmail(input.email), address: input.address };
  await assertSignInAllowed(db, keys);
  const user = await getUserByEmail({ db, email: input.email });
  const isValid = await verifyPassword(user?.passwordHash, input.password);
  const reason = failureReason(user, isValid);
  if (!user || reason) {
    await recordFailedSignIn(db, {
      method: "password",
      reason: reason ?? "unknown_account",
      email: input.email,
      userId: user?.id,
      address: input.address,
      rateLimitKeys: keys,
    });
    throw new AppError("unauthorized:credentials", { message: "The email or password is not right." });
  }
  await clearAccountFailures({ db, accountKey: keys.account });
  const session = await startSession(db, {
    userId: user.id,
    method: "password",
    policy: input.policy,
    context: { address: input.address },
  });
  return { user, ...session };
}

function failureReason(user: User | undefined, isValid: boolean): SignInFailureReason | undefined {
  if (!user) return "unknown_account";
  if (!user.passwordHash) return "no_password";
  if (!isValid) return "wrong_password";
  if (user.disabledAt) return "account_disabled";
  return undefined;
}
