import { and, count, eq, gt, min } from "drizzle-orm";
import type { Executor } from "../client";
import { signInFailures } from "../schema";

export async function insertSignInFailure({
  db,
  accountKey,
  addressKey,
}: {
  db: Executor;
  accountKey: string;
  addressKey: string;
}): Promise<void> {
  await db.insert(signInFailures).values({ accountKey, addressKey });
}

/** Failures of one account or one address since `since`, and when the oldest of them happened. */
export async function countSignInFailures({
  db,
  column,
  key,
  since,
}: {
  db: Executor;
  column: "account" | "address";
  key: string;
  since: Date;
}): Promise<{ failures: number; oldestAt: Date | null }> {
  const field = column === "account" ? signInFailures.accountKey : signInFailures.addressKey;
  const [row] = await db
    .select({ failures: count(), oldestAt: min(signInFailures.at) })
    .from(signInFailures)
    .where(and(eq(field, key), gt(signInFailures.at, since)));
  return { failures: row?.failures ?? 0, oldestAt: row?.oldestAt ? new Date(row.oldestAt) : null };
}

export async function clearAccountFailures({
  db,
  accountKey,
}: {
  db: Executor;
  accountKey: string;
}): Promise<void> {
  await db.delete(signInFailures).where(eq(signInFailures.accountKey, accountKey));
}
