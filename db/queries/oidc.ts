import { and, eq, gt, lt, sql } from "drizzle-orm";
import type { Executor } from "../client";
import { oidcFlows, oidcIdentities } from "../schema";

export type OidcFlow = typeof oidcFlows.$inferSelect;
export type OidcIdentity = typeof oidcIdentities.$inferSelect;

export async function insertOidcFlow({ db, flow }: { db: Executor; flow: OidcFlow }): Promise<void> {
  await db.insert(oidcFlows).values(flow);
}

/**
 * Deletes and returns the unexpired flow with this state, atomically: of two callbacks carrying
 * the same state exactly one gets the flow (a replayed callback finds nothing).
 */
export async function takeOidcFlow({
  db,
  stateHash,
}: {
  db: Executor;
  stateHash: string;
}): Promise<OidcFlow | undefined> {
  const [row] = await db
    .delete(oidcFlows)
    .where(and(eq(oidcFlows.stateHash, stateHash), gt(oidcFlows.expiresAt, sql`now()`)))
    .returning();
  return row;
}

/** Flows abandoned at the IdP; removed as new ones start so the table stays small. */
export async function deleteExpiredOidcFlows({ db }: { db: Executor }): Promise<void> {
  await db.delete(oidcFlows).where(lt(oidcFlows.expiresAt, sql`now()`));
}

export async function getOidcIdentity({
  db,
  issuer,
  subject,
}: {
  db: Executor;
  issuer: string;
  subject: string;
}): Promise<OidcIdentity | undefined> {
  const [row] = await db
    .select()
    .from(oidcIdentities)
    .where(and(eq(oidcIdentities.issuer, issuer), eq(oidcIdentities.subject, subject)));
  return row;
}

/** False when the (issuer, subject) pair is already linked (a concurrent first sign-in won). */
export async function insertOidcIdentity({
  tx,
  identity,
}: {
  tx: Executor;
  identity: { issuer: string; subject: string; userId: string };
}): Promise<boolean> {
  const inserted = await tx
    .insert(oidcIdentities)
    .values(identity)
    .onConflictDoNothing()
    .returning({ subject: oidcIdentities.subject });
  return inserted.length > 0;
}
