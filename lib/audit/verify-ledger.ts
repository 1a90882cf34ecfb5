import type { Database } from "../../db/client";
import { listAuditEvents, listCheckpoints } from "../../db/queries/audit-events";
import type { ChainVerification } from "./hash-chain";
import { type ExpectedKey, LedgerChecker, type LedgerProblem } from "./ledger-checker";

export interface LedgerVerification extends ChainVerification {
  /** The last event checked and found good (seq 0 and the genesis hash for an empty ledger). */
  head: { seq: number; hash: string };
  /** Checkpoints found good, and the newest of them. */
  checkpoints: number;
  lastCheckpoint?: { seq: number; createdAt: Date };
}

/**
 * Checks the whole ledger in `seq` order, a page at a time (memory stays flat at any size), with
 * the checker an exported file is verified by (ledger-checker.ts):
 * - the chain: numbering without gaps, every event's hash and link (a changed, removed, inserted
 *   or reordered event is named);
 * - every signed checkpoint: signed by `publicKey` (when given: the key an auditor holds), its
 *   span following the previous one, its head hash and Merkle root equal to the events' — so a
 *   chain rewritten with fresh hashes fails at the first checkpoint it crosses;
 * - the end: a checkpoint past the last event means events were cut off the end.
 * Stops at the first problem.
 */
export async function verifyLedger(
  db: Database,
  options: {
    publicKey?: ExpectedKey;
    pageSize?: number;
    onProgress?: (checkedEvents: number) => void;
  } = {},
): Promise<LedgerVerification> {
  const pageSize = options.pageSize ?? 5_000;
  const checkpoints = await listCheckpoints({ db });
  const checker = new LedgerChecker(options.publicKey ? { publicKey: options.publicKey } : {});
  const result = (problem?: LedgerProblem | null): LedgerVerification => ({
    isIntact: !problem,
    checkedEvents: checker.checkedEvents,
    head: checker.head,
    checkpoints: checker.checkpoints,
    ...(checker.lastCheckpoint ? { lastCheckpoint: checker.lastCheckpoint } : {}),
    ...(problem ? { firstBadSeq: problem.seq, reason: problem.reason } : {}),
  });

  let nextCheckpoint = 0;
  while (true) {
    const page = await listAuditEvents({ db, afterSeq: checker.head.seq, limit: pageSize });
    if (page.length === 0) break;
    for (const event of page) {
      const problem = checker.addEvent(event);
      if (problem) return result(problem);
      for (let checkpoint = checkpoints[nextCheckpoint]; checkpoint && checkpoint.seq <= event.seq; ) {
        const checkpointProblem = checker.addCheckpoint(checkpoint);
        if (checkpointProblem) return result(checkpointProblem);
        nextCheckpoint += 1;
        checkpoint = checkpoints[nextCheckpoint];
      }
    }
    options.onProgress?.(checker.checkedEvents);
  }
  // A checkpoint left over was signed over events that are no longer there.
  const leftOver = checkpoints[nextCheckpoint];
  return result(leftOver ? checker.addCheckpoint(leftOver) : null);
}
