import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatabaseHandle, openDatabase } from "../../db/client";
import { listAuditEvents } from "../../db/queries/audit-events";
import { createCollection, getCollectionById } from "../../db/queries/collections";
import { getVersionWithDocument } from "../../db/queries/documents";
import { lockKeys, withWriterLock } from "../../db/queries/locks";
import { buildTextPdf } from "../fixtures/builders/pdf";
import type { Gate } from "../support/gated-parts";
import { createInstrumentedFolio, uploadTo } from "../support/instrumented-folio";
import { openTestDatabase } from "../support/test-database";
import type { TestFolio } from "../support/test-runtime";

let folio: TestFolio;
let indexGate: Gate;

beforeAll(async () => {
  ({ folio, indexGate } = await createInstrumentedFolio());
});
afterAll(async () => folio?.close());

describe("the chunk-table writer lock", () => {
  it("leaves the database free for other queries while an index write is in progress", async () => {
    const { collection } = await createCollection({ db: folio.database.db, name: "lock" });
    const accepted = await uploadTo(folio, collection.id)(
      "memo.pdf",
      buildTextPdf({ pages: [["A memo indexed while the app keeps answering."]] }),
    );
    const held = indexGate.arm();
    const running = folio.ingest.worker.runOnce();
    await held;

    // The index write is held inside the writer lock. A plain query must not wait for it: on
    // PGlite (one connection) a lock held as a database transaction would block every query.
    const order: string[] = [];
    const query = getCollectionById({ db: folio.database.db, id: collection.id }).then((found) => {
      order.push("query answered");
      return found;
    });
    const fallback = setTimeout(() => {
      order.push("index write released");
      indexGate.release();
    }, 5_000);
    const found = await query;
    clearTimeout(fallback);
    if (!order.includes("index write released")) {
      order.push("index write released");
      indexGate.release();
    }
    expect(order).toEqual(["query answered", "index write released"]);
    expect(found?.id).toBe(collection.id);

    expect(await running).toMatchObject({ state: "succeeded" });
    const indexed = await getVersionWithDocument({ db: folio.database.db, versionId: accepted.versionId });
    expect(indexed?.version.status).toBe("indexed");
    expect(indexed?.document.currentVersionId).toBe(accepted.versionId);
    const events = await listAuditEvents({ db: folio.database.db });
    expect(
      events.filter(
        (event) => event.action === "version.indexed" && event.subject === `version:${accepted.versionId}`,
      ),
    ).toHaveLength(1);
  });
});

describe("withWriterLock", () => {
  let database: DatabaseHandle & { url: string | undefined };
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => database?.close());

  it("lets one holder in at a time, first come first served, and a failed holder lets the next in", async () => {
    const events: string[] = [];
    const holder = (name: string, fails = false) =>
      withWriterLock(database.db, lockKeys.chunkTableWriter, async () => {
        events.push(`${name} in`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        events.push(`${name} out`);
        if (fails) throw new Error(`${name} failed`);
        return name;
      });
    const results = await Promise.allSettled([holder("a"), holder("b", true), holder("c")]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(events).toEqual(["a in", "a out", "b in", "b out", "c in", "c out"]);
  });

  if (!process.env.DATABASE_URL)
    console.warn(
      "[skip] chunk-writer-lock: the cross-process advisory lock is PostgreSQL's (set DATABASE_URL)",
    );
  it.skipIf(!process.env.DATABASE_URL)(
    "on PostgreSQL, keeps out a holder of another connection pool (another process) until it is released",
    async () => {
      const other = await openDatabase({ databaseUrl: database.url, pgliteDir: undefined, migrate: false });
      try {
        const events: string[] = [];
        let release = () => {};
        const first = withWriterLock(database.db, lockKeys.chunkTableWriter, async () => {
          events.push("first in");
          await new Promise<void>((resolve) => {
            release = resolve;
          });
          events.push("first out");
        });
        while (events.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
        const second = withWriterLock(other.db, lockKeys.chunkTableWriter, async () => {
          events.push("second in");
        });
        await new Promise((resolve) => setTimeout(resolve, 300));
        release();
        await Promise.all([first, second]);
        expect(events).toEqual(["first in", "first out", "second in"]);
      } finally {
        await other.close();
      }
    },
  );
});
