import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../db/client";
import { listAuditEvents } from "../../db/queries/audit-events";
import { createCollection } from "../../db/queries/collections";
import { insertDocumentWithVersion, insertVersionWithJob } from "../../db/queries/documents";
import { claimNextJob, finishJob, getJobById, leaseOf, retryJobLater } from "../../db/queries/ingest-jobs";
import { auditEvents } from "../../db/schema";
import { appendAuditEvent } from "../../lib/audit/append-audit-event";
import { verifyChain } from "../../lib/audit/hash-chain";
import { openTestDatabase } from "../support/test-database";

let handle: Awaited<ReturnType<typeof openTestDatabase>>;
let db: Database;

beforeAll(async () => {
  handle = await openTestDatabase();
  db = handle.db;
  console.info(`db-queries runs on ${handle.driver}`);
});
afterAll(async () => handle?.close());

const versionInput = (sha256: string, title = "report.pdf") => ({
  sha256,
  byteSize: 10,
  mediaType: "application/pdf",
  originalFilename: title,
});

const createVersionWithJob = (collectionId: string, sha256: string, title = "report.pdf") =>
  db.transaction((tx) =>
    insertDocumentWithVersion({ tx, collectionId, title, version: versionInput(sha256, title) }),
  );

describe("insertVersionWithJob", () => {
  it("makes one version and one job for the same bytes added to a document concurrently", async () => {
    const { collection } = await createCollection({ db, name: "dedupe" });
    const { document } = await createVersionWithJob(collection.id, "0".repeat(64));
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        db.transaction((tx) => insertVersionWithJob({ tx, document, version: versionInput("a".repeat(64)) })),
      ),
    );
    expect(new Set(results.map((result) => result.version.id)).size).toBe(1);
    expect(new Set(results.map((result) => result.job.id)).size).toBe(1);
    expect(results.filter((result) => result.isNew)).toHaveLength(1);
  });

  it("adds a second version when the document gets new bytes", async () => {
    const { collection } = await createCollection({ db, name: "versions" });
    const first = await createVersionWithJob(collection.id, "b".repeat(64));
    const second = await db.transaction((tx) =>
      insertVersionWithJob({ tx, document: first.document, version: versionInput("c".repeat(64)) }),
    );
    expect(second.document.id).toBe(first.document.id);
    expect(second.version.id).not.toBe(first.version.id);
  });
});

describe("claimNextJob", () => {
  const claim = (leaseMs: number) =>
    claimNextJob({
      db,
      leaseMs,
      maxAttempts: 3,
      failAbandoned: async (tx, job) => {
        await finishJob({
          db: tx,
          lease: leaseOf(job),
          outcome: { state: "failed", errorCode: "internal:worker_crashed", errorMessage: "died" },
        });
      },
    });

  it("hands each queued job to exactly one of several concurrent claimers", async () => {
    const { collection } = await createCollection({ db, name: "claims" });
    for (const letter of ["d", "e", "f"]) {
      await createVersionWithJob(collection.id, letter.repeat(64), `${letter}.pdf`);
    }
    const claimed = (await Promise.all(Array.from({ length: 10 }, () => claim(60_000)))).filter(
      (job) => job !== undefined,
    );
    const ids = claimed.map((job) => job.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const job of claimed) await finishJob({ db, lease: leaseOf(job), outcome: { state: "succeeded" } });
  });

  it("takes over a running job whose lease expired, counting the attempt", async () => {
    const { collection } = await createCollection({ db, name: "leases" });
    const { job } = await createVersionWithJob(collection.id, "9".repeat(64));
    const first = await claim(1);
    expect(first?.id).toBe(job.id);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await claim(60_000);
    expect(second?.id).toBe(job.id);
    expect(second?.attempts).toBe(2);
    if (!second) throw new Error("no second claim");
    await retryJobLater({ db, lease: leaseOf(second), delayMs: 60_000, errorCode: "x", errorMessage: "y" });
    expect(await claim(60_000)).toBeUndefined();
    expect((await getJobById({ db, id: job.id }))?.state).toBe("queued");
  });
});

describe("appendAuditEvent", () => {
  it("keeps a gapless, verifiable chain under concurrent appends and names the first tampered row", async () => {
    await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        db.transaction((tx) =>
          appendAuditEvent(tx, { actor: "tester", action: "test", subject: `s${index}`, payload: { index } }),
        ),
      ),
    );
    const events = await listAuditEvents({ db });
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 10 }, (_, index) => index + 1));
    expect(verifyChain(events)).toEqual({ isIntact: true, checkedEvents: 10 });

    // Someone who owns the table can switch the guard off: the chain still names the changed row.
    await db.execute(sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete`);
    try {
      await db.update(auditEvents).set({ payload: '{"index":99}' }).where(sql`${auditEvents.seq} = 4`);
    } finally {
      await db.execute(sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_or_delete`);
    }
    const verification = verifyChain(await listAuditEvents({ db }));
    expect(verification.isIntact).toBe(false);
    expect(verification.firstBadSeq).toBe(4);
  });

  it("is append-only in the database itself: UPDATE, DELETE and TRUNCATE are refused", async () => {
    await db.transaction((tx) =>
      appendAuditEvent(tx, { actor: "tester", action: "test", subject: "guarded", payload: {} }),
    );
    const before = await listAuditEvents({ db });
    const attempts = [
      () =>
        db.update(auditEvents).set({ actor: "someone else" }).where(sql`${auditEvents.subject} = 'guarded'`),
      () => db.delete(auditEvents).where(sql`${auditEvents.subject} = 'guarded'`),
      () => db.execute(sql`TRUNCATE audit_events`),
    ];
    for (const attempt of attempts) {
      await expect(attempt()).rejects.toMatchObject({
        cause: expect.objectContaining({
          message: expect.stringMatching(/audit_events is append-only: (UPDATE|DELETE|TRUNCATE) refused/),
        }),
      });
    }
    expect(await listAuditEvents({ db })).toEqual(before);
  });
});
