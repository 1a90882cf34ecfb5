import type { Executor } from "../../db/client";
import { countSignInFailures, insertSignInFailure } from "../../db/queries/sign-in-failures";
import { AppError } from "../errors";

/**
 * Failed sign-ins allowed per window before further attempts are refused with 429. Per account it
 * stops guessing one password; per address it stops one client spraying many accounts.
 */
export const signInLimits = {
  windowMs: 15 * 60_000,
  /** @default 5 */
  failuresPerAccount: 5,
  /** @default 20 */
  failuresPerAddress: 20,
} as const;

export interface SignInAttemptKeys {
  /** The normalised email tried. */
  account: string;
  /** The client address, as the request boundary decided it. */
  address: string;
}

/** Throws 429 with Retry-After while the account or the address is over its limit. */
export async function assertSignInAllowed(db: Executor, keys: SignInAttemptKeys): Promise<void> {
  const since = new Date(Date.now() - signInLimits.windowMs);
  const checks = [
    { column: "account", key: keys.account, limit: signInLimits.failuresPerAccount },
    { column: "address", key: keys.address, limit: signInLimits.failuresPerAddress },
  ] as const;
  for (const { column, key, limit } of checks) {
    const { failures, oldestAt } = await countSignInFailures({ db, column, key, since });
    if (failures < limit) continue;
    const freeAtMs = (oldestAt?.getTime() ?? Date.now()) + signInLimits.windowMs;
    throw new AppError("rate_limited:sign_in", {
      message: "Too many failed sign-in attempts.",
      retryAfterSeconds: Math.max(1, Math.ceil((freeAtMs - Date.now()) / 1000)),
    });
  }
}

export async function recordSignInFailure(db: Executor, keys: SignInAttemptKeys): Promise<void> {
  await insertSignInFailure({ db, accountKey: keys.account, addressKey: keys.address });
}
