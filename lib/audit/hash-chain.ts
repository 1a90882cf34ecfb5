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

/**
 * Checks events in `seq` order: gapless numbering from `startSeq`, each `prevHash` equal to the
 * previous event's hash, each `hash` equal to the recomputed one. Any edit, deletion, insertion
 * or reordering shows up at the first affected row.
 */
export function verifyChain(
  events: Iterable<ChainedEventFields & { hash: string }>,
  start: { seq: number; prevHash: string } = { seq: 1, prevHash: genesisHash },
): ChainVerification {
  let expectedSeq = start.seq;
  let expectedPrevHash = start.prevHash;
  let checkedEvents = 0;
  for (const event of events) {
    const bad = (reason: string): ChainVerification => ({
      isIntact: false,
      checkedEvents,
      firstBadSeq: event.seq,
      reason,
    });
    if (event.seq > expectedSeq) {
      return {
        ...bad(`event #${expectedSeq} is missing (the next is #${event.seq})`),
        firstBadSeq: expectedSeq,
      };
    }
    if (event.seq < expectedSeq) {
      return {
        ...bad(`expected event #${expectedSeq}, found #${event.seq} (out of order or repeated)`),
        firstBadSeq: expectedSeq,
      };
    }
    if (event.prevHash !== expectedPrevHash) return bad("prev_hash does not match the previous event's hash");
    if (computeEventHash(event) !== event.hash) return bad("hash does not match the event's contents");
    checkedEvents += 1;
    expectedSeq += 1;
    expectedPrevHash = event.hash;
  }
  return { isIntact: true, checkedEvents };
}
