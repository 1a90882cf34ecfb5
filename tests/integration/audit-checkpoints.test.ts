import { generateKeyPairSync, sign } from "node:crypto";
import { stat } from "node:fs/promises";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { listAuditEvents, listCheckpoints } from "../../db/queries/audit-events";
import { appendAuditEvent } from "../../lib/audit/append-audit-event";
import { createCheckpointSchedule } from "../../lib/audit/checkpoint-schedule";
import { checkpointStatement, writeCheckpoint } from "../../lib/audit/checkpoints";
import { computeEventHash, genesisHash } from "../../lib/audit/hash-chain";
import { keyIdOf, loadOrCreateSigningKey, type SigningKey } from "../../lib/audit/signing-key";
import { verifyLedger } from "../../lib/audit/verify-ledger";
import { createTestFolio, type TestFolio } from "../support/test-runtime";

/**
 * Signed checkpoints make the two tampering cases a hash chain alone cannot see — a cut-off
 * tail and a whole chain rewritten with fresh hashes — show at the exact checkpoint, and a
 * replaced signing key shows against the key an auditor holds. Each case tampers as someone who
 * owns the tables would: the append-only guard switched off first.
 */
let folio: TestFolio | undefined;
afterEach(async () => {
  await folio?.close();
  folio = undefined;
});

/** A ledger of 10 events with checkpoints at #6 and #10, and the key that signed them. */
async function signedLedger(): Promise<{ folio: TestFolio; key: SigningKey }> {
  folio = await createTestFolio();
  const { db } = folio.database;
  const key = await loadOrCreateSigningKey(folio.config.auditKeyFile);
  const append = (index: number) =>
    db.transaction((tx) =>
      appendAuditEvent(tx, { actor: "tester", action: "test", subject: `s${index}`, payload: { index } }),
    );
  for (let index = 1; index <= 6; index += 1) await append(index);
  expect(await writeCheckpoint(db, key)).toMatchObject({ seq: 6, fromSeq: 1 });
  for (let index = 7; index <= 10; index += 1) await append(index);
  expect(await writeCheckpoint(db, key)).toMatchObject({ seq: 10, fromSeq: 7 });
  expect(await writeCheckpoint(db, key)).toBeNull();
  return { folio, key };
}

async function asTableOwner(folio: TestFolio, change: () => Promise<unknown>): Promise<void> {
  const { db } = folio.database;
  await db.execute(sql`ALTER TABLE audit_events DISABLE TRIGGER USER`);
  await db.execute(sql`ALTER TABLE audit_checkpoints DISABLE TRIGGER USER`);
  try {
    await change();
  } finally {
    await db.execute(sql`ALTER TABLE audit_events ENABLE TRIGGER USER`);
    await db.execute(sql`ALTER TABLE audit_checkpoints ENABLE TRIGGER USER`);
  }
}

const expected = (key: SigningKey) => ({ publicKey: { key: key.publicKey, keyId: key.keyId } });

describe("signed audit checkpoints", () => {
  it("sign the ledger with a key kept in a file readable by its owner alone", async () => {
    const { folio, key } = await signedLedger();
    expect((await stat(folio.config.auditKeyFile)).mode & 0o777).toBe(0o600);
    expect(path.dirname(folio.config.auditKeyFile)).toBe(path.join(folio.dataDir, "audit"));
    expect((await loadOrCreateSigningKey(folio.config.auditKeyFile)).keyId).toBe(key.keyId);
    const verified = await verifyLedger(folio.database.db, expected(key));
    expect(verified).toMatchObject({ isIntact: true, checkedEvents: 10, checkpoints: 2 });
    expect(verified.lastCheckpoint?.seq).toBe(10);
  });

  it("show a cut-off tail at the first missing event", async () => {
    const { folio, key } = await signedLedger();
    await asTableOwner(folio, () => folio.database.db.execute(sql`DELETE FROM audit_events WHERE seq > 8`));
    const verified = await verifyLedger(folio.database.db, expected(key));
    expect(verified).toMatchObject({ isIntact: false, firstBadSeq: 9, checkpoints: 1 });
    expect(verified.reason).toContain(
      "ends at event #8, but checkpoint #10 was signed over events up to #10",
    );
  });

  it("show a whole chain rewritten with fresh, valid hashes at the first checkpoint", async () => {
    const { folio, key } = await signedLedger();
    const { db } = folio.database;
    const events = await listAuditEvents({ db });
    await asTableOwner(folio, async () => {
      let prevHash = genesisHash;
      for (const event of events) {
        const fields = { ...event, payload: event.seq === 3 ? '{"index":300}' : event.payload, prevHash };
        const hash = computeEventHash(fields);
        await db.execute(
          sql`UPDATE audit_events SET payload = ${fields.payload}, prev_hash = ${prevHash}, hash = ${hash} WHERE seq = ${event.seq}`,
        );
        prevHash = hash;
      }
    });
    const verified = await verifyLedger(db, expected(key));
    expect(verified).toMatchObject({ isIntact: false, firstBadSeq: 6, checkpoints: 0 });
    expect(verified.reason).toContain("the chain was rewritten");
  });

  it("show checkpoints re-signed with another key, against the key the auditor holds", async () => {
    const { folio, key } = await signedLedger();
    const { db } = folio.database;
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const forgedKeyId = keyIdOf(publicKey);
    await asTableOwner(folio, async () => {
      for (const checkpoint of await listCheckpoints({ db })) {
        const resigned = { ...checkpoint, keyId: forgedKeyId };
        const signature = sign(null, checkpointStatement(resigned), privateKey).toString("base64");
        await db.execute(
          sql`UPDATE audit_checkpoints SET key_id = ${forgedKeyId}, signature = ${signature} WHERE seq = ${checkpoint.seq}`,
        );
      }
    });
    // Signed consistently by the forger's key: only the auditor's own copy of the key tells.
    expect(await verifyLedger(db, { publicKey: { key: publicKey, keyId: forgedKeyId } })).toMatchObject({
      isIntact: true,
    });
    const verified = await verifyLedger(db, expected(key));
    expect(verified).toMatchObject({ isIntact: false, firstBadSeq: 6 });
    expect(verified.reason).toContain("signed by another key");
  });

  /**
   * The tamper table of the issue 8 note: each way someone with the table owner's rights could
   * change the record, and the event or checkpoint verification names.
   */
  const tamperCases: { name: string; change: string | string[]; seq: number; reason: string }[] = [
    {
      name: "a changed payload",
      change: `UPDATE audit_events SET payload = '{"index":400}' WHERE seq = 4`,
      seq: 4,
      reason: "hash does not match the event's contents",
    },
    {
      name: "a changed hash",
      change: `UPDATE audit_events SET hash = repeat('a', 64) WHERE seq = 4`,
      seq: 4,
      reason: "hash does not match the event's contents",
    },
    {
      name: "a deleted middle row",
      change: "DELETE FROM audit_events WHERE seq = 4",
      seq: 4,
      reason: "event #4 is missing (the next is #5)",
    },
    {
      name: "a deleted tail",
      change: "DELETE FROM audit_events WHERE seq > 8",
      seq: 9,
      reason: "events were removed from its end",
    },
    {
      name: "two rows swapped (reordered)",
      change: [
        "UPDATE audit_events SET seq = 1000 WHERE seq = 3",
        "UPDATE audit_events SET seq = 3 WHERE seq = 4",
        "UPDATE audit_events SET seq = 4 WHERE seq = 1000",
      ],
      seq: 3,
      reason: "prev_hash does not match",
    },
    {
      name: "a deleted checkpoint",
      change: "DELETE FROM audit_checkpoints WHERE seq = 6",
      seq: 10,
      reason: "its span does not follow the previous checkpoint",
    },
  ];

  it.each(tamperCases)("name $name at event #$seq", async ({ change, seq, reason }) => {
    const { folio, key } = await signedLedger();
    const { db } = folio.database;
    await asTableOwner(folio, async () => {
      for (const statement of [change].flat()) await db.execute(sql.raw(statement));
    });
    const verified = await verifyLedger(db, expected(key));
    expect(verified).toMatchObject({ isIntact: false, firstBadSeq: seq });
    expect(verified.reason).toContain(reason);
  });

  it("are written when due: after N events, or when the oldest unsigned event has waited T", async () => {
    folio = await createTestFolio();
    const { db } = folio.database;
    const key = await loadOrCreateSigningKey(folio.config.auditKeyFile);
    const append = (index: number) =>
      db.transaction((tx) =>
        appendAuditEvent(tx, { actor: "tester", action: "test", subject: `s${index}`, payload: { index } }),
      );
    const everyThree = { everyEvents: 3, everyMs: 3_600_000 };
    for (let index = 1; index <= 2; index += 1) await append(index);
    expect(await writeCheckpoint(db, key, everyThree)).toBeNull();
    await append(3);
    expect(await writeCheckpoint(db, key, everyThree)).toMatchObject({ seq: 3, fromSeq: 1 });
    await append(4);
    expect(await writeCheckpoint(db, key, everyThree)).toBeNull();
    expect(await writeCheckpoint(db, key, { everyEvents: 1000, everyMs: 0 })).toMatchObject({ seq: 4 });
  });

  it("are signed by the schedule in the worker's process, and only with the key that signed the last one", async () => {
    folio = await createTestFolio();
    const { db } = folio.database;
    for (let index = 1; index <= 5; index += 1) {
      await db.transaction((tx) =>
        appendAuditEvent(tx, { actor: "tester", action: "test", subject: `s${index}`, payload: { index } }),
      );
    }
    const logged: string[] = [];
    const schedule = createCheckpointSchedule({
      db,
      keyFile: folio.config.auditKeyFile,
      policy: { everyEvents: 5, everyMs: 3_600_000 },
      pollMs: 20,
      log: (line) => logged.push(line),
    });
    await schedule.start();
    await vi.waitFor(async () => expect(await listCheckpoints({ db })).toHaveLength(1), { timeout: 5_000 });
    await schedule.stop();
    expect((await stat(folio.config.auditKeyFile)).mode & 0o777).toBe(0o600);

    const otherKeyFile = path.join(folio.dataDir, "other-node.pem");
    const other = createCheckpointSchedule({
      db,
      keyFile: otherKeyFile,
      policy: { everyEvents: 1, everyMs: 0 },
      pollMs: 20,
      log: (line) => logged.push(line),
    });
    await db.transaction((tx) =>
      appendAuditEvent(tx, { actor: "tester", action: "test", subject: "s6", payload: {} }),
    );
    await other.start();
    await vi.waitFor(
      () => expect(logged.join("\n")).toContain("every node must use the same AUDIT_KEY_FILE"),
      {
        timeout: 5_000,
      },
    );
    await other.stop();
    expect(await listCheckpoints({ db })).toHaveLength(1);
  });

  it("refuse UPDATE and DELETE of a checkpoint", async () => {
    const { folio } = await signedLedger();
    const { db } = folio.database;
    await expect(db.execute(sql`UPDATE audit_checkpoints SET signature = 'x'`)).rejects.toMatchObject({
      cause: expect.objectContaining({
        message: expect.stringContaining("audit_checkpoints is append-only"),
      }),
    });
    await expect(db.execute(sql`DELETE FROM audit_checkpoints`)).rejects.toBeTruthy();
    expect(await listCheckpoints({ db })).toHaveLength(2);
  });
});
