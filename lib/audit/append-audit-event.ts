import type { Executor } from "../../db/client";
import { getAuditHead, insertAuditEvent, lockAuditLog } from "../../db/queries/audit-events";
import type { AuditEvent } from "../../db/schema";
import { canonicalJson, computeEventHash, genesisHash } from "./hash-chain";

export interface NewAuditEvent {
  /** A user id, or a name such as `system` or `cli` for actions nobody signed in for. */
  actor: string;
  /** `<entity>.<verb>`, e.g. `answer.create`, `document.delete`. */
  action: string;
  /** `<entity>:<id>`. */
  subject: string;
  payload: unknown;
}

/**
 * Appends one event to the hash chain. Must run inside the transaction that makes the change it
 * records, so there is never a change without its event nor an event without its change.
 */
export async function appendAuditEvent(tx: Executor, event: NewAuditEvent): Promise<AuditEvent> {
  await lockAuditLog({ tx });
  const head = await getAuditHead({ tx });
  const fields = {
    seq: (head?.seq ?? 0) + 1,
    ts: new Date(),
    actor: event.actor,
    action: event.action,
    subject: event.subject,
    payload: canonicalJson(event.payload),
    prevHash: head?.hash ?? genesisHash,
  };
  return insertAuditEvent({ tx, row: { ...fields, hash: computeEventHash(fields) } });
}
