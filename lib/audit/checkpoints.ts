import { sign, verify } from "node:crypto";
import type { Database, Executor } from "../../db/client";
import {
  getAuditEventTime,
  getAuditHead,
  getLatestCheckpoint,
  insertCheckpoint,
  listEventHashes,
  lockAuditLog,
} from "../../db/queries/audit-events";
import type { AuditCheckpoint } from "../../db/schema";
import { canonicalJson } from "./hash-chain";
import { merkleRoot } from "./merkle-root";
import type { SigningKey } from "./signing-key";

/** Exactly what a checkpoint's signature covers. */
export function checkpointStatement(checkpoint: Omit<AuditCheckpoint, "signature">): Buffer {
  return Buffer.from(
    canonicalJson({
      kind: "folio-audit-checkpoint",
      seq: checkpoint.seq,
      fromSeq: checkpoint.fromSeq,
      headHash: checkpoint.headHash,
      merkleRoot: checkpoint.merkleRoot,
      createdAt: checkpoint.createdAt.toISOString(),
      keyId: checkpoint.keyId,
    }),
  );
}

export function isSignedBy(checkpoint: AuditCheckpoint, publicKey: SigningKey["publicKey"]): boolean {
  try {
    return verify(
      null,
      checkpointStatement(checkpoint),
      publicKey,
      Buffer.from(checkpoint.signature, "base64"),
    );
  } catch {
    return false;
  }
}

/** When a checkpoint is due: after `everyEvents` unsigned events, or when the oldest has waited `everyMs`. */
export interface CheckpointPolicy {
  everyEvents: number;
  everyMs: number;
}

/**
 * Signs the events appended since the last checkpoint: their Merkle root and the chain head.
 * Runs under the ledger's lock, so no event slips in between reading the head and signing it.
 * Returns null when nothing was appended since the last checkpoint, or when `policy` says it is
 * not due yet (decided under the lock: two processes never sign the same span twice).
 */
export async function writeCheckpoint(
  db: Database,
  key: SigningKey,
  policy?: CheckpointPolicy,
): Promise<AuditCheckpoint | null> {
  return db.transaction(async (tx) => {
    await lockAuditLog({ tx });
    const head = await getAuditHead({ tx });
    const previous = await getLatestCheckpoint({ tx });
    const fromSeq = (previous?.seq ?? 0) + 1;
    if (!head || head.seq < fromSeq) return null;
    if (policy && !(await isDue(tx, policy, head.seq - fromSeq + 1, fromSeq))) return null;
    const hashes = await listEventHashes({ tx, fromSeq, toSeq: head.seq });
    const unsigned = {
      seq: head.seq,
      fromSeq,
      headHash: head.hash,
      merkleRoot: merkleRoot(hashes),
      createdAt: new Date(),
      keyId: key.keyId,
    };
    const checkpoint = {
      ...unsigned,
      signature: sign(null, checkpointStatement(unsigned), key.privateKey).toString("base64"),
    };
    await insertCheckpoint({ tx, row: checkpoint });
    return checkpoint;
  });
}

async function isDue(tx: Executor, policy: CheckpointPolicy, unsigned: number, oldestSeq: number) {
  if (unsigned >= policy.everyEvents) return true;
  const oldest = await getAuditEventTime({ tx, seq: oldestSeq });
  return oldest !== undefined && Date.now() - oldest.getTime() >= policy.everyMs;
}
