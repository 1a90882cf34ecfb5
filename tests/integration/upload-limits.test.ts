import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "../../db/client";
import { listAuditEvents } from "../../db/queries/audit-events";
import { createCollection } from "../../db/queries/collections";
import { documents } from "../../db/schema";
import { acceptUpload, type UploadDependencies } from "../../ingest/accept-upload";
import { verifyChain } from "../../lib/audit/hash-chain";
import { BlobStore } from "../../lib/storage/blob-store";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { recordingFileSystem } from "../support/fault-file-system";
import { openTestDatabase } from "../support/test-database";

/**
 * Upload limits beyond one file's size (docs/decisions/0012): a per-collection quota of stored
 * originals (413), a free-disk reserve and a full disk (507) — each refused with nothing left on
 * disk, no rows and no audit event.
 */
let database: DatabaseHandle;
let root: string;

beforeAll(async () => {
  database = await openTestDatabase();
  root = await mkdtemp(path.join(tmpdir(), "folio-upload-limits-"));
  console.info(`upload-limits runs on ${database.driver}`);
});

afterAll(async () => {
  await database?.close();
  await rm(root, { recursive: true, force: true });
});

async function newCollection() {
  const { collection } = await createCollection({ db: database.db, name: `limits-${Math.random()}` });
  return collection.id;
}

/** A PDF of at least `bytes` bytes (padding after %%EOF: still the same readable file). */
function pdfOf(text: string, bytes = 0): Uint8Array {
  const pdf = buildTextPdf({ pages: [[text]] });
  const padded = new Uint8Array(Math.max(pdf.byteLength, bytes)).fill(0x0a);
  padded.set(pdf);
  return padded;
}

async function* piecesOf(bytes: Uint8Array, counter = { pieces: 0 }) {
  for (let offset = 0; offset < bytes.byteLength; offset += 4096) {
    counter.pieces += 1;
    yield bytes.subarray(offset, offset + 4096);
  }
}

function dependencies(blobs: BlobStore, extra: Partial<UploadDependencies> = {}): UploadDependencies {
  return { db: database.db, blobs, maxUploadBytes: 10 * 1024 * 1024, ...extra };
}

async function documentCount(collectionId: string) {
  return (await database.db.select().from(documents).where(eq(documents.collectionId, collectionId))).length;
}

const incomingFiles = (blobs: BlobStore) => readdir(blobs.incomingDirectory).catch(() => [] as string[]);

async function refusal(promise: Promise<unknown>) {
  return promise.then(
    () => {
      throw new Error("the upload was accepted");
    },
    (error: unknown) => error,
  );
}

describe("COLLECTION_QUOTA_BYTES", () => {
  const blobs = () => new BlobStore(path.join(root, "quota"));

  it("refuses an upload whose declared size would pass the quota with 413, reading nothing", async () => {
    const collectionId = await newCollection();
    const store = blobs();
    const limits = dependencies(store, { collectionQuotaBytes: 50_000 });
    const first = pdfOf("first", 30_000);
    await acceptUpload(limits, { collectionId, fileName: "first.pdf", body: piecesOf(first) });
    const counter = { pieces: 0 };
    const failure = await refusal(
      acceptUpload(limits, {
        collectionId,
        fileName: "second.pdf",
        body: piecesOf(pdfOf("second", 30_000), counter),
        declaredBytes: 30_000,
      }),
    );
    expect(failure).toMatchObject({
      code: "too_large:collection_quota",
      message: expect.stringMatching(/30,000 of its 50,000 bytes/),
      details: { usedBytes: 30_000, quotaBytes: 50_000 },
    });
    expect(counter.pieces).toBe(0);
    expect(await documentCount(collectionId)).toBe(1);
    expect(await incomingFiles(store)).toEqual([]);
  });

  it("refuses a chunked upload (no declared size) as soon as it passes what is left, with nothing stored", async () => {
    const collectionId = await newCollection();
    const store = blobs();
    const limits = dependencies(store, { collectionQuotaBytes: 50_000 });
    await acceptUpload(limits, { collectionId, fileName: "first.pdf", body: piecesOf(pdfOf("a", 30_000)) });
    const eventsBefore = (await listAuditEvents({ db: database.db })).length;
    const counter = { pieces: 0 };
    const failure = await refusal(
      acceptUpload(limits, {
        collectionId,
        fileName: "big.pdf",
        body: piecesOf(pdfOf("b", 1_000_000), counter),
      }),
    );
    expect(failure).toMatchObject({ code: "too_large:collection_quota" });
    expect(counter.pieces).toBeLessThan(10);
    expect(await documentCount(collectionId)).toBe(1);
    expect(await incomingFiles(store)).toEqual([]);
    expect((await listAuditEvents({ db: database.db })).length).toBe(eventsBefore);
  });

  it("counts each collection alone, takes a file that fits exactly, and 0 means no limit", async () => {
    const full = await newCollection();
    const other = await newCollection();
    const store = blobs();
    const limits = dependencies(store, { collectionQuotaBytes: 40_000 });
    await acceptUpload(limits, { collectionId: full, fileName: "a.pdf", body: piecesOf(pdfOf("a", 20_000)) });
    await acceptUpload(limits, { collectionId: full, fileName: "b.pdf", body: piecesOf(pdfOf("b", 20_000)) });
    await acceptUpload(limits, {
      collectionId: other,
      fileName: "c.pdf",
      body: piecesOf(pdfOf("c", 20_000)),
    });
    const unlimited = dependencies(store, { collectionQuotaBytes: 0 });
    await acceptUpload(unlimited, {
      collectionId: full,
      fileName: "d.pdf",
      body: piecesOf(pdfOf("d", 20_000)),
    });
    expect(await documentCount(full)).toBe(3);
    expect(await documentCount(other)).toBe(1);
  });
});

describe("MIN_FREE_DISK_BYTES and a full disk", () => {
  it("refuses with 507 before reading when the disk holds less than the reserve", async () => {
    const collectionId = await newCollection();
    const store = new BlobStore(path.join(root, "reserve"));
    const counter = { pieces: 0 };
    const failure = await refusal(
      acceptUpload(dependencies(store, { minFreeDiskBytes: Number.MAX_SAFE_INTEGER }), {
        collectionId,
        fileName: "a.pdf",
        body: piecesOf(pdfOf("a"), counter),
      }),
    );
    expect(failure).toMatchObject({
      code: "insufficient_storage:storage_full",
      message: expect.stringContaining("storage is full"),
    });
    expect(counter.pieces).toBe(0);
    expect(await documentCount(collectionId)).toBe(0);
  });

  it("a full disk at the write (ENOSPC) is a 507 with no rows, no .incoming file and the audit chain untouched", async () => {
    const collectionId = await newCollection();
    const { fileSystem } = recordingFileSystem({ failAfterBytes: 10_000 });
    const store = new BlobStore(path.join(root, "enospc"), { fileSystem });
    const eventsBefore = await listAuditEvents({ db: database.db });
    const failure = await refusal(
      acceptUpload(dependencies(store), {
        collectionId,
        fileName: "a.pdf",
        body: piecesOf(pdfOf("a", 100_000)),
      }),
    );
    expect(failure).toMatchObject({ code: "insufficient_storage:storage_full" });
    expect(await documentCount(collectionId)).toBe(0);
    expect(await incomingFiles(store)).toEqual([]);
    const eventsAfter = await listAuditEvents({ db: database.db });
    expect(eventsAfter).toHaveLength(eventsBefore.length);
    expect(verifyChain(eventsAfter).isIntact).toBe(true);
    // The disk has room again (the fault is gone): the same upload goes through.
    const healthy = new BlobStore(path.join(root, "enospc"));
    const accepted = await acceptUpload(dependencies(healthy), {
      collectionId,
      fileName: "a.pdf",
      body: piecesOf(pdfOf("a", 100_000)),
    });
    expect(accepted.isDuplicate).toBe(false);
  });

  it("on a real small filesystem, a chunked upload that would eat into the reserve is discarded with 507", async (context) => {
    const mountPoint = path.join(root, "tiny");
    await mkdir(mountPoint, { recursive: true });
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint], { stdio: "pipe" });
    } catch (error) {
      context.skip(`cannot mount a tmpfs here (needs root): ${(error as Error).message.split("\n")[0]}`);
    }
    try {
      const collectionId = await newCollection();
      const store = new BlobStore(path.join(mountPoint, "blobs"));
      const failure = await refusal(
        acceptUpload(dependencies(store, { minFreeDiskBytes: 600 * 1024 }), {
          collectionId,
          fileName: "a.pdf",
          body: piecesOf(pdfOf("a", 500 * 1024)),
        }),
      );
      expect(failure).toMatchObject({ code: "insufficient_storage:storage_full" });
      expect(await documentCount(collectionId)).toBe(0);
      expect(await incomingFiles(store)).toEqual([]);
    } finally {
      execFileSync("umount", [mountPoint]);
    }
  });
});
