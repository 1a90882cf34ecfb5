import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAuditEvents } from "../../db/queries/audit-events";
import { createCollection, getCollectionById } from "../../db/queries/collections";
import { getVersionWithDocument } from "../../db/queries/documents";
import { buildTextPdf } from "../fixtures/builders/pdf";
import type { Gate } from "../support/gated-parts";
import { createInstrumentedFolio, uploadTo } from "../support/instrumented-folio";
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
