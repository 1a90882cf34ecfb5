import type { KeyObject } from "node:crypto";
import type { AuditCheckpoint } from "../../db/schema";
import { isSignedBy } from "./checkpoints";
import { type ChainedEventFields, type ChainLink, chainEventProblem, genesisHash } from "./hash-chain";
import { MerkleAccumulator } from "./merkle-accumulator";

/** The key checkpoints must be signed by: the copy an auditor holds. */
export interface ExpectedKey {
  key: KeyObject;
  keyId: string;
}

/** An event with its contents: its hash is recomputed. */
export type ChainEvent = ChainedEventFields & { hash: string };
export type { ChainLink };

export interface LedgerProblem {
  /** The first event (or checkpoint) that is wrong. */
  seq: number;
  reason: string;
}

/**
 * Checks a ledger fed to it in `seq` order — from the database (verify-ledger.ts) or from an
 * export file (verify-ledger-export.ts) — one event at a time, in memory that does not grow:
 * - the chain: numbering without gaps, every link, every hash of an event with contents;
 * - every checkpoint, fed right after the event at its seq: signed by the expected key (when
 *   given), its span following the previous checkpoint, its head hash and the Merkle root of its
 *   span equal to the events' — so a chain rewritten with fresh hashes fails at the first
 *   checkpoint it crosses, and a checkpoint past the last event shows a cut-off end.
 * Each `add…` returns the first problem, after which the checker must not be fed further.
 */
export class LedgerChecker {
  private headSeq: number;
  private headHash: string;
  private previousCheckpointSeq: number;
  private readonly span = new MerkleAccumulator();
  private readonly publicKey: ExpectedKey | undefined;
  private readonly ledgerName: string;
  checkedEvents = 0;
  eventsWithContents = 0;
  checkpoints = 0;
  lastCheckpoint: { seq: number; createdAt: Date } | undefined;

  constructor(
    options: {
      publicKey?: ExpectedKey;
      /** The signed checkpoint just before the first event fed (an export's anchor); else genesis. */
      anchor?: AuditCheckpoint;
      /** @default "the ledger" — names what is checked in messages ("the export"). */
      ledgerName?: string;
    } = {},
  ) {
    this.publicKey = options.publicKey;
    this.headSeq = options.anchor?.seq ?? 0;
    this.headHash = options.anchor?.headHash ?? genesisHash;
    this.previousCheckpointSeq = options.anchor?.seq ?? 0;
    this.ledgerName = options.ledgerName ?? "the ledger";
  }

  /** The last event checked and found good (seq 0 and the genesis hash before any). */
  get head(): { seq: number; hash: string } {
    return { seq: this.headSeq, hash: this.headHash };
  }

  /**
   * The events checked since the last checkpoint (or the anchor): the seq they start at, how many,
   * and the Merkle root of their hashes (null with none), built as a checkpoint's.
   */
  get unsignedTail(): { fromSeq: number; events: number; merkleRoot: string | null } {
    return {
      fromSeq: this.previousCheckpointSeq + 1,
      events: this.span.leafCount,
      merkleRoot: this.span.leafCount > 0 ? this.span.root() : null,
    };
  }

  addEvent(event: ChainEvent | ChainLink): LedgerProblem | null {
    const problem = chainEventProblem(event, { seq: this.headSeq + 1, prevHash: this.headHash });
    if (problem) return problem;
    this.headSeq = event.seq;
    this.headHash = event.hash;
    this.span.add(event.hash);
    this.checkedEvents += 1;
    if ("payload" in event) this.eventsWithContents += 1;
    return null;
  }

  /** Feed a checkpoint right after the event at its seq (or after the last event, to check the end). */
  addCheckpoint(checkpoint: AuditCheckpoint): LedgerProblem | null {
    if (checkpoint.seq > this.headSeq) {
      return {
        seq: this.headSeq + 1,
        reason: `${this.ledgerName} ends at event #${this.headSeq}, but checkpoint #${checkpoint.seq} was signed over events up to #${checkpoint.seq}: events were removed from its end`,
      };
    }
    if (checkpoint.seq < this.headSeq)
      return { seq: checkpoint.seq, reason: `checkpoint #${checkpoint.seq} names no event` };
    const problem = this.checkpointProblem(checkpoint);
    if (problem) return { seq: checkpoint.seq, reason: `checkpoint #${checkpoint.seq}: ${problem}` };
    this.checkpoints += 1;
    this.lastCheckpoint = { seq: checkpoint.seq, createdAt: checkpoint.createdAt };
    this.previousCheckpointSeq = checkpoint.seq;
    this.span.reset();
    return null;
  }

  private checkpointProblem(checkpoint: AuditCheckpoint): string | null {
    const signature = signatureProblem(checkpoint, this.publicKey);
    if (signature) return signature;
    if (checkpoint.fromSeq !== this.previousCheckpointSeq + 1)
      return "its span does not follow the previous checkpoint";
    if (checkpoint.headHash !== this.headHash)
      return "the chain head it signed differs from the event's hash (the chain was rewritten)";
    if (this.span.leafCount === 0) return "its span holds no event";
    if (checkpoint.merkleRoot !== this.span.root()) return "the Merkle root of its events differs";
    return null;
  }
}

/** Whether `checkpoint` was signed by the expected key; null when it was (or no key is expected). */
export function signatureProblem(
  checkpoint: AuditCheckpoint,
  publicKey: ExpectedKey | undefined,
): string | null {
  if (publicKey && checkpoint.keyId !== publicKey.keyId) return "signed by another key than the one given";
  if (publicKey && !isSignedBy(checkpoint, publicKey.key)) return "the signature does not verify";
  return null;
}
