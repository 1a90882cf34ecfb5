import type { Database } from "../../db/client";
import { getLatestCheckpoint } from "../../db/queries/audit-events";
import { type CheckpointPolicy, writeCheckpoint } from "./checkpoints";
import { loadOrCreateSigningKey, type SigningKey } from "./signing-key";

export interface CheckpointSchedule {
  start(): Promise<void>;
  /** Stops the timer and waits for a checkpoint being written. */
  stop(): Promise<void>;
}

/**
 * Signs a checkpoint whenever one is due (CheckpointPolicy), looking every `pollMs`. Runs in the
 * processes that run the ingest worker; several may run it against one database — the decision is
 * taken under the ledger's lock. Creates the signing key on start when there is none. Refuses to
 * sign with a key other than the one that signed the newest checkpoint: two nodes with different
 * key files would leave a ledger no single public key verifies.
 */
export function createCheckpointSchedule(input: {
  db: Database;
  keyFile: string;
  policy: CheckpointPolicy;
  pollMs?: number;
  log: (message: string) => void;
}): CheckpointSchedule {
  const pollMs = input.pollMs ?? Math.min(30_000, input.policy.everyMs);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let lastProblem = "";

  const tick = async (key: SigningKey) => {
    try {
      const latest = await getLatestCheckpoint({ tx: input.db });
      if (latest && latest.keyId !== key.keyId) {
        throw new Error(
          `checkpoint #${latest.seq} was signed by key ${latest.keyId.slice(0, 12)}…, this process holds ${key.keyId.slice(0, 12)}… (${input.keyFile}): every node must use the same AUDIT_KEY_FILE`,
        );
      }
      const written = await writeCheckpoint(input.db, key, input.policy);
      if (written)
        input.log(
          `[audit] signed checkpoint #${written.seq} over events #${written.fromSeq}–#${written.seq}`,
        );
      lastProblem = "";
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== lastProblem) input.log(`[audit] no checkpoint signed: ${message}`);
      lastProblem = message;
    }
  };

  return {
    async start() {
      const key = await loadOrCreateSigningKey(input.keyFile);
      timer = setInterval(() => {
        running ??= tick(key).finally(() => {
          running = undefined;
        });
      }, pollMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
