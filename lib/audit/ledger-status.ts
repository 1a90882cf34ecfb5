import type { Database } from "../../db/client";
import type { Folio } from "../runtime";
import { loadOrCreateSigningKey } from "./signing-key";
import { verifyLedger } from "./verify-ledger";

/** What the audit workspace shows at its top: how far the ledger verifies, and where it breaks. */
export interface LedgerStatus {
  isIntact: boolean;
  /** The last event found good (seq 0 for an empty ledger). */
  head: { seq: number; hash: string };
  checkedEvents: number;
  /** The newest checkpoint found good and signed by this install's key. */
  lastCheckpoint: { seq: number; createdAt: Date } | null;
  /** The first event or checkpoint that does not verify, and why. */
  firstBad: { seq: number; reason: string } | null;
  checkedAt: Date;
}

/** @default 30 s — a whole-ledger check per page view would be too much; a stale minute is not. */
export const ledgerStatusCacheMs = 30_000;

const cache = new WeakMap<Database, { status: Promise<LedgerStatus>; untilMs: number }>();

/**
 * The ledger verified from the first event, checkpoints against this install's public key
 * (AUDIT_KEY_FILE), remembered in this process for `ledgerStatusCacheMs`. Concurrent callers share
 * one check; a check that fails (database down) is not remembered.
 */
export function ledgerStatus(
  folio: Pick<Folio, "database" | "config">,
  options: { nowMs?: number } = {},
): Promise<LedgerStatus> {
  const { db } = folio.database;
  const nowMs = options.nowMs ?? Date.now();
  const cached = cache.get(db);
  if (cached && cached.untilMs > nowMs) return cached.status;
  const status = checkLedger(db, folio.config.auditKeyFile);
  cache.set(db, { status, untilMs: nowMs + ledgerStatusCacheMs });
  status.catch(() => {
    if (cache.get(db)?.status === status) cache.delete(db);
  });
  return status;
}

async function checkLedger(db: Database, keyFile: string): Promise<LedgerStatus> {
  const key = await loadOrCreateSigningKey(keyFile);
  const verified = await verifyLedger(db, { publicKey: { key: key.publicKey, keyId: key.keyId } });
  return {
    isIntact: verified.isIntact,
    head: verified.head,
    checkedEvents: verified.checkedEvents,
    lastCheckpoint: verified.lastCheckpoint ?? null,
    firstBad:
      verified.firstBadSeq === undefined
        ? null
        : { seq: verified.firstBadSeq, reason: verified.reason ?? "" },
    checkedAt: new Date(),
  };
}
