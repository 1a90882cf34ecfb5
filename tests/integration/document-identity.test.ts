import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCollection } from "../../db/queries/collections";
import { getDocumentById, getVersionWithDocument } from "../../db/queries/documents";
import { getJobById } from "../../db/queries/ingest-jobs";
import { runIngestJob } from "../../ingest/pipeline";
import { type AppError, httpStatusOf, isAppError } from "../../lib/errors";
import { sha256Hex } from "../../lib/text/sha256-hex";
import type { LanceDbStore } from "../../lib/vector-store/lancedb-store";
import { buildTextPdf } from "../fixtures/builders/pdf";
import type { Gate } from "../support/gated-parts";
import {
  countRows,
  createInstrumentedFolio,
  servedTexts,
  stagedBlobs,
  storedBlobs,
  uploadTo,
} from "../support/instrumented-folio";
import { drainQueue, type TestFolio } from "../support/test-runtime";

let folio: TestFolio;
let store: LanceDbStore;
let embedGate: Gate;

beforeAll(async () => {
  ({ folio, store, embedGate } = await createInstrumentedFolio());
  console.info(`document-identity runs on ${folio.database.driver}`);
});

afterAll(async () => {
  await folio?.close();
});

/** A one-page PDF whose text is `text` (distinct texts make distinct bytes). */
const pdf = (text: string) => buildTextPdf({ pages: [[text]] });

async function newCollection(name: string) {
  const { collection } = await createCollection({ db: folio.database.db, name });
  return { id: collection.id, upload: uploadTo(folio, collection.id) };
}

/** What an upload rejected with, as an AppError (fails the test if it succeeded). */
async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!isAppError(outcome)) throw new Error(`expected an AppError, got ${String(outcome)}`);
  return outcome;
}

describe("a taken name", () => {
  it("refuses a different file under a taken name with 409 naming the existing document, and stores nothing", async () => {
    const { upload } = await newCollection("names-ask");
    const first = await upload("a.pdf", pdf("Original terms of the lease."));
    const before = { rows: await countRows(folio.database.db), blobs: await storedBlobs(folio) };

    const different = pdf("Entirely different terms of the lease.");
    const error = await rejection(upload("a.pdf", different, { kind: "ask" }));
    expect(error.code).toBe("conflict:document_name");
    expect(httpStatusOf(error)).toBe(409);
    expect(error.details).toEqual({ documents: [{ documentId: first.documentId, title: "a.pdf" }] });

    expect(await countRows(folio.database.db)).toEqual(before.rows);
    expect(await storedBlobs(folio)).toEqual(before.blobs);
    expect(await storedBlobs(folio)).not.toContain(sha256Hex(different));
    expect(await stagedBlobs(folio)).toEqual([]);
    // Without a choice the default is to ask, too.
    expect((await rejection(upload("a.pdf", different))).code).toBe("conflict:document_name");
  });

  it("makes `name (2).ext`, then `name (3).ext`, when asked to keep both", async () => {
    const { upload } = await newCollection("names-keep-both");
    const original = await upload("a.pdf", pdf("Keep both, original."));
    const second = await upload("a.pdf", pdf("Keep both, second."), { kind: "keep_both" });
    const third = await upload("a.pdf", pdf("Keep both, third."), { kind: "keep_both" });
    expect([original.title, second.title, third.title]).toEqual(["a.pdf", "a (2).pdf", "a (3).pdf"]);
    expect(new Set([original.documentId, second.documentId, third.documentId]).size).toBe(3);
    expect([second.isDuplicate, third.isDuplicate]).toEqual([false, false]);
  });

  it("refuses to replace a document of another collection with 404, and stores nothing", async () => {
    const elsewhere = await newCollection("replace-elsewhere-target");
    const target = await elsewhere.upload("b.pdf", pdf("A document in another collection."));
    const { upload } = await newCollection("replace-elsewhere-source");
    const before = { rows: await countRows(folio.database.db), blobs: await storedBlobs(folio) };

    const error = await rejection(
      upload("b.pdf", pdf("An attempt to overwrite it from here."), {
        kind: "replace",
        documentId: target.documentId,
      }),
    );
    expect(error.code).toBe("not_found:document");
    expect(httpStatusOf(error)).toBe(404);
    expect(await countRows(folio.database.db)).toEqual(before.rows);
    expect(await storedBlobs(folio)).toEqual(before.blobs);
    expect(await stagedBlobs(folio)).toEqual([]);
  });
});

describe("replace", () => {
  it("adds a version to the same document; once indexed, retrieval serves only the new text", async () => {
    const { id, upload } = await newCollection("replace-served");
    const oldText = "The cafeteria opens at seven and serves porridge.";
    const newText = "The cafeteria opens at nine and serves pancakes.";
    const first = await upload("menu.pdf", pdf(oldText));
    await drainQueue(folio);
    const question = "cafeteria opens porridge pancakes";
    expect((await servedTexts(folio, [id], question)).map((passage) => passage.text)).toEqual([oldText]);

    const second = await upload("menu-v2.pdf", pdf(newText), {
      kind: "replace",
      documentId: first.documentId,
    });
    expect(second).toMatchObject({ documentId: first.documentId, isDuplicate: false, title: "menu.pdf" });
    expect(second.versionId).not.toBe(first.versionId);

    // Queued: the old version is still the one served.
    expect((await servedTexts(folio, [id], question)).map((passage) => passage.text)).toEqual([oldText]);

    // Processing (held between extract and embedding): still the old version.
    const held = embedGate.arm();
    const running = folio.ingest.worker.runOnce();
    await held;
    const processing = await getVersionWithDocument({ db: folio.database.db, versionId: second.versionId });
    expect(processing?.version.status).toBe("processing");
    expect(processing?.document.currentVersionId).toBe(first.versionId);
    expect((await servedTexts(folio, [id], question)).map((passage) => passage.text)).toEqual([oldText]);
    embedGate.release();
    expect(await running).toMatchObject({ state: "succeeded" });

    const served = await servedTexts(folio, [id], question);
    expect(served.map((passage) => passage.text)).toEqual([newText]);
    expect(served.every((passage) => passage.versionId === second.versionId)).toBe(true);
    expect(await store.countChunks({ versionId: first.versionId })).toBe(0);
    expect(await store.countChunks({ versionId: second.versionId })).toBeGreaterThan(0);
    expect((await getDocumentById({ db: folio.database.db, id: first.documentId }))?.currentVersionId).toBe(
      second.versionId,
    );
  });

  it("never lets an older version that finishes late replace a newer one already served", async () => {
    const { id, upload } = await newCollection("replace-late");
    const texts = [
      "Parking permits are blue this year.",
      "Parking permits are green this year.",
      "Parking permits are orange this year.",
    ];
    const v1 = await upload("permits.pdf", pdf(texts[0] ?? ""));
    await drainQueue(folio);
    const replace = { kind: "replace", documentId: v1.documentId } as const;
    const v2 = await upload("permits.pdf", pdf(texts[1] ?? ""), replace);
    const v3 = await upload("permits.pdf", pdf(texts[2] ?? ""), replace);

    // The newest version is indexed first; then the queue runs v2 (older) and v3 again.
    const dependencies = await folio.ingest.pipelineDependencies();
    expect((await runIngestJob(dependencies, v3)).tableVersion).not.toBeNull();
    await drainQueue(folio);
    expect((await getJobById({ db: folio.database.db, id: v2.jobId }))?.state).toBe("succeeded");
    const late = await getVersionWithDocument({ db: folio.database.db, versionId: v2.versionId });
    expect(late?.version).toMatchObject({ status: "indexed", lanceVersion: null });
    // And the very first version, re-run by hand after both.
    expect(await runIngestJob(dependencies, v1)).toMatchObject({ tableVersion: null });

    const question = "parking permits colour this year blue green orange";
    const served = await servedTexts(folio, [id], question);
    expect(served.map((passage) => passage.text)).toEqual([texts[2]]);
    expect((await getDocumentById({ db: folio.database.db, id: v1.documentId }))?.currentVersionId).toBe(
      v3.versionId,
    );
    expect(await store.countChunks({ documentId: v1.documentId })).toBe(
      await store.countChunks({ versionId: v3.versionId }),
    );
  });
});

describe("the same bytes", () => {
  it("are a duplicate under any name or choice: no new version", async () => {
    const { upload } = await newCollection("duplicates");
    const bytes = pdf("The same bytes, uploaded again.");
    const first = await upload("same.pdf", bytes);
    const other = await upload("other.pdf", pdf("Another document in the collection."));
    const before = await countRows(folio.database.db);
    for (const [name, choice] of [
      ["same.pdf", { kind: "ask" }],
      ["renamed.pdf", { kind: "ask" }],
      ["same.pdf", { kind: "keep_both" }],
      ["same.pdf", { kind: "replace", documentId: other.documentId }],
    ] as const) {
      const again = await upload(name, bytes, choice);
      expect(again).toMatchObject({
        isDuplicate: true,
        documentId: first.documentId,
        versionId: first.versionId,
        jobId: first.jobId,
      });
    }
    expect(await countRows(folio.database.db)).toEqual(before);
    expect(await stagedBlobs(folio)).toEqual([]);
  });

  it("uploaded 20 times at once make one version and no duplicate chunks (SECURITY.md F2)", async () => {
    const { upload } = await newCollection("concurrent-same");
    const bytes = buildTextPdf({
      pages: [["Twenty uploads of one file at once."], ["They must become one version."]],
    });
    const before = await countRows(folio.database.db);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => upload(`copy-${index}.pdf`, bytes)),
    );
    expect(results.filter((result) => !result.isDuplicate)).toHaveLength(1);
    expect(new Set(results.map((result) => result.versionId)).size).toBe(1);
    const after = await countRows(folio.database.db);
    expect(after).toMatchObject({
      documents: before.documents + 1,
      versions: before.versions + 1,
      jobs: before.jobs + 1,
    });
    expect(await storedBlobs(folio)).toContain(sha256Hex(bytes));
    expect(await stagedBlobs(folio)).toEqual([]);

    await drainQueue(folio);
    const [first] = results;
    if (!first) throw new Error("no upload result");
    const indexed = await getVersionWithDocument({ db: folio.database.db, versionId: first.versionId });
    expect(indexed?.version.status).toBe("indexed");
    expect(indexed?.version.chunkCount).toBeGreaterThan(0);
    expect(await store.countChunks({ documentId: first.documentId })).toBe(indexed?.version.chunkCount);
  });

  it("10 different files under one new name at once: one succeeds, the others get 409, no orphan blobs", async () => {
    const { upload } = await newCollection("concurrent-name");
    const files = Array.from({ length: 10 }, (_, index) => pdf(`Draft number ${index} of the policy.`));
    const before = await countRows(folio.database.db);
    const outcomes = await Promise.allSettled(
      files.map((data) => upload("policy.pdf", data, { kind: "ask" })),
    );
    const winners = outcomes.flatMap((outcome, index) =>
      outcome.status === "fulfilled" ? [{ result: outcome.value, data: files[index] }] : [],
    );
    expect(winners).toHaveLength(1);
    const refusals = outcomes.flatMap((outcome) => (outcome.status === "rejected" ? [outcome.reason] : []));
    expect(refusals).toHaveLength(9);
    for (const refusal of refusals) {
      expect(refusal).toMatchObject({
        code: "conflict:document_name",
        details: { documents: [{ documentId: winners[0]?.result.documentId, title: "policy.pdf" }] },
      });
    }
    expect(await countRows(folio.database.db)).toMatchObject({
      documents: before.documents + 1,
      versions: before.versions + 1,
    });
    const blobs = await storedBlobs(folio);
    for (const data of files) {
      expect(blobs.includes(sha256Hex(data))).toBe(data === winners[0]?.data);
    }
    expect(await stagedBlobs(folio)).toEqual([]);
  });
});
