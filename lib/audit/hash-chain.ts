import { sha256Hex } from "../text/sha256-hex";

/** prev_hash of the first event. */
export const genesisHash = "0".repeat(64);

/**
 * JSON with object keys sorted at every level, so the same value always hashes the same.
 * `undefined` members are dropped, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object" && !(value instanceof Date)) {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
    }
    return sorted;
  }
  return value;
}

export interface ChainedEventFields {
  seq: number;
  ts: Date;
  actor: string;
  action: string;
  subject: string;
  /** Canonical JSON text, exactly as stored. */
  payload: string;
  prevHash: string;
}

export function computeEventHash(event: ChainedEventFields): string {
  return sha256Hex(
    canonicalJson({
      seq: event.seq,
      ts: event.ts.toISOString(),
      actor: event.actor,
      action: event.action,
      subject: event.subject,
      payload: event.payload,
      prevHash: event.prevHash,
    }),
  );
}

export interface ChainVerification {
  isIntact: boolean;
  checkedEvents: number;
  /** The first event that does not fit the chain, and why. */
  firstBadSeq?: number;
  reason?: string;
}

/** An event whose contents were withheld (a ledger export's `link` line): only its place in the chain is checked. */
export interface ChainLink {
  seq: number;
  prevHash: string;
  hash: string;
}

/**
 * Whether `event` fits the chain after `expected` (the seq it must have, the hash it must link
 * to): its seq, its `prevHash` and — when it comes with its contents — its hash, recomputed.
 * Null when it fits; else the first bad seq (a missing event is named by its own number) and why.
 */
export function chainEventProblem(
  event: (ChainedEventFields & { hash: string }) | ChainLink,
  expected: { seq: number; prevHash: string },
): { seq: number; reason: string } | null {
  if (event.seq > expected.seq)
    return { seq: expected.seq, reason: `event #${expected.seq} is missing (the next is #${event.seq})` };
  if (event.seq < expected.seq) {
    return {
      seq: expected.seq,
      reason: `expected event #${expected.seq}, found #${event.seq} (out of order or repeated)`,
    };
  }
  if (event.prevHash !== expected.prevHash)
    return { seq: event.seq, reason: "prev_hash does not match the previous event's hash" };
  if ("payload" in event && computeEventHash(event) !== event.hash)
    return { seq: event.seq, reason: "hash does not match the event's contents" };
  return null;
}

/**
 * Checks events in `seq` order: gapless numbering from `startSeq`, each `prevHash` equal to the
 * previous event's hash, each `hash` equal to the recomputed one. Any edit, deletion, insertion
 * or reordering shows up at the first affected row.
 */
export function verifyChain(
  events: Iterable<ChainedEventFields & { hash: string }>,
  start: { seq: number; prevHash: string } = { seq: 1, prevHash: genesisHash },
): ChainVerification {
  let expected = start;
  let checkedEvents = 0;
  for (const event of events) {
    const problem = chainEventProblem(event, expected);
    if (problem) return { isIntact: false, checkedEvents, firstBadSeq: problem.seq, reason: problem.reason };
    checkedEvents += 1;
    expected = { seq: event.seq + 1, prevHash: event.hash };
  }
  return { isIntact: true, checkedEvents };
}
