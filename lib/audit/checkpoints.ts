import { sign, verify } from "node:crypto";
import type { Database } from "../../db/client";
import {
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

/**
 * Signs the events appended since the last checkpoint: their Merkle root and the chain head.
 * Runs under the ledger's lock, so no event slips in between reading the head and signing it.
 * Returns null when nothing was appended since the last checkpoint.
 */
export async function writeCheckpoint(db: Database, key: SigningKey): Promise<AuditCheckpoint | null> {
  return db.transaction(async (tx) => {
    await lockAuditLog({ tx });
    const head = await getAuditHead({ tx });
    const previous = await getLatestCheckpoint({ tx });
    const fromSeq = (previous?.seq ?? 0) + 1;
    if (!head || head.seq < fromSeq) return null;
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
