import type { Database } from "../../db/client";
import { clearAccountFailures } from "../../db/queries/sign-in-failures";
import { getUserByEmail, normalizeEmail } from "../../db/queries/users";
import type { User } from "../../db/schema";
import { AppError } from "../errors";
import { verifyPassword } from "./password";
import { type SessionPolicy, startSession } from "./sessions";
import { assertSignInAllowed, recordSignInFailure } from "./sign-in-rate-limit";

/**
 * Email + password → a new session. Every failure looks the same (unknown account, wrong
 * password, disabled account, no password set) and costs the same time; failures count toward
 * the per-account and per-address limits.
 */
export async function signInWithPassword(
  db: Database,
  input: { email: string; password: string; address: string; policy: SessionPolicy },
): Promise<{ user: User; token: string; expiresAt: Date }> {
  const keys = { account: normalizeEmail(input.email), address: input.address };
  await assertSignInAllowed(db, keys);
  const user = await getUserByEmail({ db, email: input.email });
  const isValid = await verifyPassword(user?.passwordHash, input.password);
  if (!user || !isValid || user.disabledAt) {
    await recordSignInFailure(db, keys);
    throw new AppError("unauthorized:credentials", { message: "The email or password is not right." });
  }
  await clearAccountFailures({ db, accountKey: keys.account });
  const session = await startSession(db, { userId: user.id, method: "password", policy: input.policy });
  return { user, ...session };
}
