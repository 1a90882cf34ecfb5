import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAuditEvents } from "../../db/queries/audit-events";
import { createCollection, getCollectionById } from "../../db/queries/collections";
import { getDocumentById, listDocumentVersions } from "../../db/queries/documents";
import { listGrants } from "../../db/queries/grants";
import { getJobById } from "../../db/queries/ingest-jobs";
import { ingestJobs } from "../../db/schema";
import { acceptUpload } from "../../ingest/accept-upload";
import { createGroup, grantCollection } from "../../lib/access/manage-access";
import { verifyChain } from "../../lib/audit/hash-chain";
import { deleteDocuments } from "../../lib/documents/delete-documents";
import { sha256Hex } from "../../lib/text/sha256-hex";
import type { LanceDbStore } from "../../lib/vector-store/lancedb-store";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { createGate, type Gate, GatedCommitBlobStore } from "../support/gated-parts";
import {
  createInstrumentedFolio,
  referencedBlobs,
  servedTexts,
  stagedBlobs,
  storedBlobs,
  uploadTo,
} from "../support/instrumented-folio";
import { bytesOf, drainQueue, type TestFolio } from "../support/test-runtime";

let folio: TestFolio;
let store: LanceDbStore;
let embedGate: Gate;
let indexGate: Gate;

beforeAll(async () => {
  ({ folio, store, embedGate, indexGate } = await createInstrumentedFolio());
  console.info(`document-deletion runs on ${folio.database.driver}`);
});

afterAll(async () => {
  await folio?.close();
});

const pdf = (text: string) => buildTextPdf({ pages: [[text]] });

async function newCollection(name: string) {
  const { collection } = await createCollection({ db: folio.database.db, name });
  return { id: collection.id, upload: uploadTo(folio, collection.id) };
}

async function remove(target: { documentId: string } | { collectionId: string }) {
  return deleteDocuments(
    { db: folio.database.db, store: await folio.store(), blobs: folio.blobs, derived: folio.derived },
    { actor: "tester", target },
  );
}

async function auditPayload(action: string, subject: string) {
  const event = (await listAuditEvents({ db: folio.database.db })).find(
    (candidate) => candidate.action === action && candidate.subject === subject,
  );
  if (!event) throw new Error(`no ${action} event for ${subject}`);
  return JSON.parse(event.payload) as {
    documents: Array<{
      documentId: string;
      collectionId: string;
      title: string;
      versions: Array<{ versionId: string; sha256: string }>;
    }>;
  };
}

/** Jobs some worker could still pick up or is still running. */
async function unfinishedJobs() {
  return folio.database.db
    .select({ id: ingestJobs.id })
    .from(ingestJobs)
    .where(inArray(ingestJobs.state, ["queued", "running"]));
}

describe("deleting a document", () => {
  it("takes it out of retrieval at once, with its chunks and originals, and audits the versions' sha256", async () => {
    const { id, upload } = await newCollection("handbooks");
    const firstBytes = pdf("Lockers are emptied every Friday evening by the caretaker.");
    const secondBytes = pdf("Lockers are emptied every Friday at noon by the caretaker.");
    const otherBytes = pdf("The canteen serves soup on Mondays.");
    const lockers = await upload("lockers.pdf", firstBytes);
    await upload("lockers.pdf", secondBytes, { kind: "replace", documentId: lockers.documentId });
    const canteen = await upload("canteen.pdf", otherBytes);
    await drainQueue(folio);
    const question = "lockers emptied Friday caretaker canteen soup";
    const before = await servedTexts(folio, [id], question);
    expect(before.map((passage) => passage.documentId).sort()).toEqual(
      [lockers.documentId, canteen.documentId].sort(),
    );

    const result = await remove({ documentId: lockers.documentId });
    expect(result).toEqual({ documentCount: 1, versionCount: 2, removedBlobCount: 2 });

    const after = await servedTexts(folio, [id], question);
    expect(after.map((passage) => passage.documentId)).toEqual([canteen.documentId]);
    expect(await store.countChunks({ documentId: lockers.documentId })).toBe(0);
    expect(await store.countChunks({ documentId: canteen.documentId })).toBeGreaterThan(0);
    const blobs = await storedBlobs(folio);
    expect(blobs).not.toContain(sha256Hex(firstBytes));
    expect(blobs).not.toContain(sha256Hex(secondBytes));
    expect(blobs).toContain(sha256Hex(otherBytes));
    expect(await getDocumentById({ db: folio.database.db, id: lockers.documentId })).toBeUndefined();
    expect(await getJobById({ db: folio.database.db, id: lockers.jobId })).toBeUndefined();

    const payload = await auditPayload("document.delete", `document:${lockers.documentId}`);
    expect(payload.documents).toHaveLength(1);
    expect(payload.documents[0]).toMatchObject({
      documentId: lockers.documentId,
      collectionId: id,
      title: "lockers.pdf",
    });
    expect(payload.documents[0]?.versions.map((version) => version.sha256).sort()).toEqual(
      [sha256Hex(firstBytes), sha256Hex(secondBytes)].sort(),
    );
    expect(verifyChain(await listAuditEvents({ db: folio.database.db })).isIntact).toBe(true);

    await expect(remove({ documentId: lockers.documentId })).rejects.toMatchObject({
      code: "not_found:document",
    });
  });

  it("keeps an original and its previews while another collection holds them, and removes both with the last reference", async () => {
    const first = await newCollection("shared-first");
    const second = await newCollection("shared-second");
    const shared = pdf("Both collections hold this memo about the fire drill.");
    const inFirst = await first.upload("memo.pdf", shared);
    const inSecond = await second.upload("memo-copy.pdf", shared);
    expect(inSecond.isDuplicate).toBe(false);
    await drainQueue(folio);

    const preview = folio.derived.pathOf(sha256Hex(shared), {
      kind: "preview",
      pageNumber: 1,
      size: "thumbnail",
    });
    await writeFile(preview, "a page preview");

    expect(await remove({ documentId: inFirst.documentId })).toMatchObject({ removedBlobCount: 0 });
    expect(await storedBlobs(folio)).toContain(sha256Hex(shared));
    expect(existsSync(preview)).toBe(true);
    const served = await servedTexts(folio, [first.id, second.id], "memo fire drill");
    expect(served.map((passage) => passage.documentId)).toEqual([inSecond.documentId]);

    expect(await remove({ documentId: inSecond.documentId })).toMatchObject({ removedBlobCount: 1 });
    expect(await storedBlobs(folio)).not.toContain(sha256Hex(shared));
    expect(existsSync(folio.derived.directoryOf(sha256Hex(shared)))).toBe(false);
  });
});

describe("deleting leaves no text on disk", () => {
  it("erases a deleted document's text from every LanceDB file, old table versions included", async () => {
    const { id, upload } = await newCollection("erasure");
    const canary = "Quillfeather merger terms zyxwvutsr forty two";
    const doomed = await upload("doomed.pdf", pdf(`${canary}.`));
    await upload("kept.pdf", pdf("The kept memo about parking spaces stays indexed."));
    await drainQueue(folio);
    expect(await filesContaining(lanceDirectory(), "zyxwvutsr")).not.toEqual([]);

    await remove({ documentId: doomed.documentId });
    expect(await filesContaining(lanceDirectory(), "zyxwvutsr")).toEqual([]);
    expect(await filesContaining(lanceDirectory(), "Quillfeather")).toEqual([]);
    const kept = await servedTexts(folio, [id], "kept memo parking spaces");
    expect(kept.map((passage) => passage.text).join(" ")).toContain("parking spaces");
  });

  it("erases it from a data file it shares with many other documents", async () => {
    const { upload } = await newCollection("erasure-shared-file");
    const fillers = [];
    for (let index = 0; index < 12; index += 1) {
      fillers.push(await upload(`filler-${index}.pdf`, pdf(`Filler memo number ${index} about desks.`)));
    }
    const doomed = await upload("shared-doomed.pdf", pdf("Ravenscar payroll qwertyzxcv secret."));
    await drainQueue(folio);
    // The first deletion compacts the small per-document files into one shared file.
    await remove({ documentId: fillers[0]?.documentId as string });
    await remove({ documentId: doomed.documentId });
    expect(await filesContaining(lanceDirectory(), "qwertyzxcv")).toEqual([]);
  });
});

function lanceDirectory(): string {
  return path.join(folio.dataDir, "lance");
}

/** Every file under `root` whose bytes contain `needle` (the index stores text uncompressed). */
async function filesContaining(root: string, needle: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const found: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if ((await readFile(file)).includes(needle)) found.push(path.relative(root, file));
  }
  return found;
}

describe("deleting a collection", () => {
  it("removes its documents, chunks, unshared originals and grants; other collections are untouched", async () => {
    const doomed = await newCollection("doomed");
    const kept = await newCollection("kept");
    const sharedBytes = pdf("Shared travel policy: trains for trips under four hours.");
    const onlyDoomedBytes = pdf("Doomed only: the old expense form.");
    const onlyKeptBytes = pdf("Kept only: the new expense form.");
    const doomedDocuments = [
      await doomed.upload("travel.pdf", sharedBytes),
      await doomed.upload("expenses-old.pdf", onlyDoomedBytes),
    ];
    const keptDocuments = [
      await kept.upload("travel.pdf", sharedBytes),
      await kept.upload("expenses-new.pdf", onlyKeptBytes),
    ];
    const group = await createGroup(folio.database.db, "tester", { name: "readers" });
    for (const collectionId of [doomed.id, kept.id]) {
      await grantCollection(folio.database.db, "tester", {
        collectionId,
        grantee: { groupId: group.id },
        permission: "read",
      });
    }
    await drainQueue(folio);

    const result = await remove({ collectionId: doomed.id });
    expect(result).toEqual({ documentCount: 2, versionCount: 2, removedBlobCount: 1 });

    const { db } = folio.database;
    expect(await getCollectionById({ db, id: doomed.id })).toBeUndefined();
    expect(await listDocumentVersions({ db, collectionIds: [doomed.id] })).toEqual([]);
    for (const document of doomedDocuments) {
      expect(await store.countChunks({ documentId: document.documentId })).toBe(0);
    }
    const blobs = await storedBlobs(folio);
    expect(blobs).not.toContain(sha256Hex(onlyDoomedBytes));
    expect(blobs).toContain(sha256Hex(sharedBytes));
    expect(blobs).toContain(sha256Hex(onlyKeptBytes));
    const grants = await listGrants({ db });
    expect(grants.filter((grant) => grant.collectionId === doomed.id)).toEqual([]);
    expect(grants.filter((grant) => grant.collectionId === kept.id)).toHaveLength(1);

    const served = await servedTexts(folio, [kept.id], "travel policy trains expense form");
    expect(new Set(served.map((passage) => passage.documentId))).toEqual(
      new Set(keptDocuments.map((document) => document.documentId)),
    );
    for (const document of keptDocuments) {
      expect(await store.countChunks({ documentId: document.documentId })).toBeGreaterThan(0);
    }
    const payload = await auditPayload("collection.delete", `collection:${doomed.id}`);
    expect(payload.documents.map((document) => document.documentId).sort()).toEqual(
      doomedDocuments.map((document) => document.documentId).sort(),
    );
    expect(verifyChain(await listAuditEvents({ db })).isIntact).toBe(true);
  });
});

describe("a deletion racing an ingest job", () => {
  it("between extract and index: the job fails as deleted, writes no chunks, and nothing is left queued", async () => {
    await drainQueue(folio);
    const { upload } = await newCollection("race-before-index");
    const accepted = await upload("notice.pdf", pdf("A notice deleted while it was being processed."));
    const held = embedGate.arm();
    const running = folio.ingest.worker.runOnce();
    await held;
    await remove({ documentId: accepted.documentId });
    embedGate.release();

    expect(await running).toMatchObject({ state: "failed", error: { code: "not_found:version" } });
    expect(await store.countChunks({ documentId: accepted.documentId })).toBe(0);
    expect(await getJobById({ db: folio.database.db, id: accepted.jobId })).toBeUndefined();
    expect(await unfinishedJobs()).toEqual([]);
    expect(await folio.ingest.worker.runOnce()).toBeUndefined();
    expect(await storedBlobs(folio)).not.toContain(accepted.sha256);
  });

  it("during the index write: the deletion waits for the writer lock, then removes what was written", async () => {
    await drainQueue(folio);
    const { id, upload } = await newCollection("race-during-index");
    const accepted = await upload(
      "bulletin.pdf",
      pdf("A bulletin deleted while its chunks were being written."),
    );
    const held = indexGate.arm();
    const running = folio.ingest.worker.runOnce();
    await held;
    let isDeleted = false;
    const deleting = remove({ documentId: accepted.documentId }).then((result) => {
      isDeleted = true;
      return result;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(isDeleted).toBe(false);
    indexGate.release();

    expect(await running).toMatchObject({ state: "succeeded" });
    expect(await deleting).toMatchObject({ documentCount: 1 });
    expect(await store.countChunks({ documentId: accepted.documentId })).toBe(0);
    expect(await servedTexts(folio, [id], "bulletin deleted chunks written")).toEqual([]);
    expect(await getJobById({ db: folio.database.db, id: accepted.jobId })).toBeUndefined();
    expect(await unfinishedJobs()).toEqual([]);
  });
});

describe("a deletion racing an upload", () => {
  const gate = createGate();
  const gatedUpload = (collectionId: string, fileName: string, data: Uint8Array, documentId?: string) =>
    acceptUpload(
      {
        db: folio.database.db,
        blobs: new GatedCommitBlobStore(folio.config.blobsDir, gate),
        maxUploadBytes: folio.config.limits.maxUploadBytes,
      },
      {
        collectionId,
        fileName,
        body: bytesOf(data),
        onNameConflict: documentId ? { kind: "replace", documentId } : { kind: "ask" },
      },
    );

  it("of a collection and an upload into it leave no orphan original, and the audit names every document removed", async () => {
    const { id } = await newCollection("race-upload-collection");
    const bytes = pdf("Uploaded just as its collection was deleted.");
    const held = gate.arm();
    const uploading = gatedUpload(id, "late.pdf", bytes);
    await held;
    const deleting = remove({ collectionId: id });
    await new Promise((resolve) => setTimeout(resolve, 300));
    gate.release();
    const [uploaded, deleted] = await Promise.allSettled([uploading, deleting]);

    expect(deleted.status).toBe("fulfilled");
    expect(await getCollectionById({ db: folio.database.db, id })).toBeUndefined();
    const payload = await auditPayload("collection.delete", `collection:${id}`);
    if (uploaded.status === "fulfilled") {
      expect(payload.documents.map((document) => document.documentId)).toEqual([uploaded.value.documentId]);
    } else {
      expect(uploaded.reason).toMatchObject({ code: "not_found:collection" });
    }
    expect(await storedBlobs(folio)).toEqual(await referencedBlobs(folio.database.db));
    expect(await stagedBlobs(folio)).toEqual([]);
  });

  it("of a document and an upload of its new version leave no orphan original", async () => {
    const { id, upload } = await newCollection("race-upload-version");
    const original = await upload("plan.pdf", pdf("The first floor plan."));
    const held = gate.arm();
    const uploading = gatedUpload(id, "plan.pdf", pdf("The second floor plan."), original.documentId);
    await held;
    const deleting = remove({ documentId: original.documentId });
    await new Promise((resolve) => setTimeout(resolve, 300));
    gate.release();
    const [uploaded, deleted] = await Promise.allSettled([uploading, deleting]);

    expect(deleted.status).toBe("fulfilled");
    const payload = await auditPayload("document.delete", `document:${original.documentId}`);
    if (uploaded.status === "fulfilled") {
      expect(payload.documents[0]?.versions.map((version) => version.versionId)).toContain(
        uploaded.value.versionId,
      );
    } else {
      expect(uploaded.reason).toMatchObject({ code: "not_found:document" });
    }
    expect(await getDocumentById({ db: folio.database.db, id: original.documentId })).toBeUndefined();
    expect(await storedBlobs(folio)).toEqual(await referencedBlobs(folio.database.db));
    expect(await stagedBlobs(folio)).toEqual([]);
  });
});
