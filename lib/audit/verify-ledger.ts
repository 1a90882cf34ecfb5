import type { KeyObject } from "node:crypto";
import type { Database } from "../../db/client";
import { listAuditEvents, listCheckpoints } from "../../db/queries/audit-events";
import type { AuditCheckpoint } from "../../db/schema";
import { isSignedBy } from "./checkpoints";
import { type ChainVerification, genesisHash, verifyChain } from "./hash-chain";
import { merkleRoot } from "./merkle-root";

export interface LedgerVerification extends ChainVerification {
  /** The last event checked and found good (seq 0 and the genesis hash for an empty ledger). */
  head: { seq: number; hash: string };
  /** Checkpoints found good, and the newest of them. */
  checkpoints: number;
  lastCheckpoint?: { seq: number; createdAt: Date };
}

/**
 * Checks the whole ledger in `seq` order, a page at a time (memory stays flat at any size):
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
    publicKey?: { key: KeyObject; keyId: string };
    pageSize?: number;
    onProgress?: (checkedEvents: number) => void;
  } = {},
): Promise<LedgerVerification> {
  const pageSize = options.pageSize ?? 5_000;
  const checkpoints = await listCheckpoints({ db });
  let nextCheckpoint = 0;
  let spanHashes: string[] = [];
  let head = { seq: 0, hash: genesisHash };
  let checkedEvents = 0;
  let goodCheckpoints = 0;
  let lastCheckpoint: LedgerVerification["lastCheckpoint"];
  const result = (problem?: { seq: number; reason: string }): LedgerVerification => ({
    isIntact: problem === undefined,
    checkedEvents,
    head,
    checkpoints: goodCheckpoints,
    ...(lastCheckpoint ? { lastCheckpoint } : {}),
    ...(problem ? { firstBadSeq: problem.seq, reason: problem.reason } : {}),
  });

  while (true) {
    const page = await listAuditEvents({ db, afterSeq: head.seq, limit: pageSize });
    if (page.length === 0) break;
    const chain = verifyChain(page, { seq: head.seq + 1, prevHash: head.hash });
    for (const event of page.slice(0, chain.checkedEvents)) {
      spanHashes.push(event.hash);
      head = { seq: event.seq, hash: event.hash };
      checkedEvents += 1;
      const checkpoint = checkpoints[nextCheckpoint];
      if (checkpoint?.seq !== event.seq) continue;
      const problem = checkpointProblem(
        checkpoint,
        checkpoints[nextCheckpoint - 1],
        event.hash,
        spanHashes,
        options.publicKey,
      );
      if (problem)
        return result({ seq: checkpoint.seq, reason: `checkpoint #${checkpoint.seq}: ${problem}` });
      goodCheckpoints += 1;
      lastCheckpoint = { seq: checkpoint.seq, createdAt: checkpoint.createdAt };
      nextCheckpoint += 1;
      spanHashes = [];
    }
    if (!chain.isIntact)
      return result({ seq: chain.firstBadSeq ?? head.seq + 1, reason: chain.reason ?? "broken" });
    options.onProgress?.(checkedEvents);
  }
  const unmatched = checkpoints[nextCheckpoint];
  if (unmatched) {
    return result({
      seq: head.seq + 1,
      reason:
        unmatched.seq > head.seq
          ? `the ledger ends at event #${head.seq}, but checkpoint #${unmatched.seq} was signed over events up to #${unmatched.seq}: events were removed from its end`
          : `checkpoint #${unmatched.seq} names no event`,
    });
  }
  return result();
}

function checkpointProblem(
  checkpoint: AuditCheckpoint,
  previous: AuditCheckpoint | undefined,
  eventHash: string,
  spanHashes: readonly string[],
  publicKey: { key: KeyObject; keyId: string } | undefined,
): string | null {
  if (publicKey && checkpoint.keyId !== publicKey.keyId) return "signed by another key than the one given";
  if (publicKey && !isSignedBy(checkpoint, publicKey.key)) return "the signature does not verify";
  if (checkpoint.fromSeq !== (previous?.seq ?? 0) + 1)
    return "its span does not follow the previous checkpoint";
  if (checkpoint.headHash !== eventHash)
    return "the chain head it signed differs from the event's hash (the chain was rewritten)";
  if (checkpoint.merkleRoot !== merkleRoot(spanHashes)) return "the Merkle root of its events differs";
  return null;
}
