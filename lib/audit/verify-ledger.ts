import type { Database } from "../../db/client";
import { listAuditEvents } from "../../db/queries/audit-events";
import { type ChainVerification, genesisHash, verifyChain } from "./hash-chain";

export interface LedgerVerification extends ChainVerification {
  /** The last event checked and found good (seq 0 and the genesis hash for an empty ledger). */
  head: { seq: number; hash: string };
}

/**
 * Checks the whole ledger in `seq` order, a page at a time (memory stays flat at any size): the
 * numbering has no gaps and every event's hash and link fit. Stops at the first bad event.
 * (A cut-off tail or a whole chain rewritten with fresh hashes needs signed checkpoints to show.)
 */
export async function verifyLedger(
  db: Database,
  options: { pageSize?: number; onProgress?: (checkedEvents: number) => void } = {},
): Promise<LedgerVerification> {
  const pageSize = options.pageSize ?? 5_000;
  let head = { seq: 0, hash: genesisHash };
  let checkedEvents = 0;
  while (true) {
    const page = await listAuditEvents({ db, afterSeq: head.seq, limit: pageSize });
    if (page.length === 0) return { isIntact: true, checkedEvents, head };
    const result = verifyChain(page, { seq: head.seq + 1, prevHash: head.hash });
    checkedEvents += result.checkedEvents;
    if (!result.isIntact) {
      const lastGood = page[result.checkedEvents - 1];
      return { ...result, checkedEvents, head: lastGood ? { seq: lastGood.seq, hash: lastGood.hash } : head };
    }
    const last = page.at(-1);
    if (last) head = { seq: last.seq, hash: last.hash };
    options.onProgress?.(checkedEvents);
  }
}
