import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { detectMediaType } from "../../ingest/stages/detect-media-type";
import { BlobStore } from "../../lib/storage/blob-store";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { recordingFileSystem } from "../support/fault-file-system";

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "folio-blobs-"));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const incomingFiles = async (directory = root) =>
  readdir(path.join(directory, ".incoming")).catch(() => [] as string[]);

/** A body that yields `first`, then 64 KiB pieces for ever: a client that never stops sending. */
function endlessBody(first: Uint8Array, counter: { pieces: number }) {
  return (async function* () {
    counter.pieces += 1;
    yield first;
    for (;;) {
      counter.pieces += 1;
      yield new Uint8Array(64 * 1024).fill(0x41);
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
}

async function* bodyOf(bytes: Uint8Array, pieceBytes = 8192) {
  for (let offset = 0; offset < bytes.byteLength; offset += pieceBytes) {
    yield bytes.subarray(offset, offset + pieceBytes);
  }
}

describe("BlobStore.stage", () => {
  it("refuses a wrong type from the first bytes, before reading or writing the rest", async () => {
    const blobs = new BlobStore(root);
    const counter = { pieces: 0 };
    const zip = new TextEncoder().encode(`PK\x03\x04${" ".repeat(2000)}`);
    await expect(
      blobs.stage(endlessBody(zip, counter), { maxBytes: 1 << 30, validate: detectMediaType }),
    ).rejects.toMatchObject({ code: "unsupported:file_type" });
    expect(counter.pieces).toBe(1);
    expect(await incomingFiles()).toEqual([]);
  });

  it("waits for 1 KiB (or the end) before deciding the type: a PDF header after leading junk in small pieces", async () => {
    const blobs = new BlobStore(root);
    const bytes = new Uint8Array([...new Uint8Array(600).fill(0x20), ...buildTextPdf({ pages: [["late"]] })]);
    const staged = await blobs.stage(bodyOf(bytes, 100), { maxBytes: 1 << 20, validate: detectMediaType });
    expect(staged.byteSize).toBe(bytes.byteLength);
    expect(detectMediaType(staged.head)).toBe("application/pdf");
    await staged.commit();
    expect(new Uint8Array(await readFile(blobs.pathOf(staged.sha256)))).toEqual(bytes);
  });

  it("stops reading a body that never ends once it passes maxBytes, and leaves nothing", async () => {
    const blobs = new BlobStore(root);
    const counter = { pieces: 0 };
    const pdfHead = new TextEncoder().encode("%PDF-1.7\n");
    await expect(
      blobs.stage(endlessBody(pdfHead, counter), { maxBytes: 1 << 20, validate: detectMediaType }),
    ).rejects.toMatchObject({ code: "too_large:upload" });
    expect(counter.pieces).toBeLessThan(20);
    expect(await incomingFiles()).toEqual([]);
  });

  it("fsyncs the file before staging resolves and its directory after the rename, before commit resolves", async () => {
    const { fileSystem, calls } = recordingFileSystem();
    const blobs = new BlobStore(root, { fileSystem });
    const bytes = buildTextPdf({ pages: [["durable"]] });
    const staged = await blobs.stage(bodyOf(bytes), { maxBytes: 1 << 20, validate: detectMediaType });
    const kinds = calls.map((call) => call.kind);
    expect(kinds.lastIndexOf("write")).toBeLessThan(kinds.indexOf("sync"));
    expect(kinds.indexOf("sync")).toBeLessThan(kinds.indexOf("close"));
    expect(kinds).not.toContain("rename");
    await staged.commit();
    const finalPath = blobs.pathOf(staged.sha256);
    const renameAt = calls.findIndex((call) => call.kind === "rename");
    expect(calls[renameAt]).toMatchObject({ to: finalPath });
    expect(calls.slice(renameAt + 1)).toContainEqual({
      kind: "syncDirectory",
      path: path.dirname(finalPath),
    });
    expect(new Uint8Array(await readFile(finalPath))).toEqual(bytes);
    expect(await incomingFiles()).toEqual([]);
  });

  it("answers a full disk (ENOSPC at the write) with 507 storage_full and removes the partial file", async () => {
    const { fileSystem } = recordingFileSystem({ failAfterBytes: 20_000 });
    const blobs = new BlobStore(root, { fileSystem });
    const bytes = new Uint8Array([...buildTextPdf({ pages: [["big"]] }), ...new Uint8Array(100_000)]);
    const failure = await blobs
      .stage(bodyOf(bytes), { maxBytes: 1 << 20, validate: detectMediaType })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({
      code: "insufficient_storage:storage_full",
      message: expect.stringContaining("storage is full"),
    });
    expect(await incomingFiles()).toEqual([]);
  });

  it("answers a real full filesystem (a 64 KiB tmpfs) with 507 and leaves nothing", async (context) => {
    const mountPoint = path.join(root, "tiny");
    await mkdir(mountPoint);
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint], { stdio: "pipe" });
    } catch (error) {
      context.skip(`cannot mount a tmpfs here (needs root): ${(error as Error).message.split("\n")[0]}`);
    }
    try {
      const blobs = new BlobStore(path.join(mountPoint, "blobs"));
      const bytes = new Uint8Array([...buildTextPdf({ pages: [["big"]] }), ...new Uint8Array(200_000)]);
      await expect(
        blobs.stage(bodyOf(bytes), { maxBytes: 1 << 20, validate: detectMediaType }),
      ).rejects.toMatchObject({ code: "insufficient_storage:storage_full" });
      expect(await incomingFiles(path.join(mountPoint, "blobs"))).toEqual([]);
      // Space is back: the next (small) upload is stored.
      const small = buildTextPdf({ pages: [["fits"]] });
      const staged = await blobs.stage(bodyOf(small), { maxBytes: 1 << 20, validate: detectMediaType });
      await staged.commit();
      expect(existsSync(blobs.pathOf(staged.sha256))).toBe(true);
    } finally {
      execFileSync("umount", [mountPoint]);
    }
  });
});

describe("BlobStore.sweepIncoming", () => {
  const hourAgo = () => new Date(Date.now() - 3_600_000);

  it("removes a stale .incoming file and keeps a fresh one", async () => {
    const blobs = new BlobStore(root);
    await mkdir(blobs.incomingDirectory, { recursive: true });
    const stale = path.join(blobs.incomingDirectory, "stale-upload");
    const fresh = path.join(blobs.incomingDirectory, "fresh-upload");
    await writeFile(stale, "interrupted");
    await writeFile(fresh, "still arriving");
    await utimes(stale, hourAgo(), hourAgo());
    expect(await blobs.sweepIncoming({ olderThanMs: 15 * 60_000 })).toBe(1);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
  });

  it("never removes a file this process is still writing, however old it looks", async () => {
    const blobs = new BlobStore(root);
    let resume: () => void = () => {};
    const paused = new Promise<void>((resolve) => {
      resume = resolve;
    });
    let reachedPause: () => void = () => {};
    const atPause = new Promise<void>((resolve) => {
      reachedPause = resolve;
    });
    const bytes = buildTextPdf({ pages: [["slow"]] });
    const body = (async function* () {
      yield bytes.subarray(0, 2048);
      reachedPause();
      await paused;
      yield bytes.subarray(2048);
    })();
    const staging = blobs.stage(body, { maxBytes: 1 << 20, validate: detectMediaType });
    await atPause;
    // The piece before the pause reaches the file a moment after it is handed over.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [name] = await incomingFiles();
    expect(name).toBeDefined();
    const filePath = path.join(blobs.incomingDirectory, name ?? "");
    await utimes(filePath, hourAgo(), hourAgo());
    expect(await blobs.sweepIncoming({ olderThanMs: 60_000 })).toBe(0);
    resume();
    const staged = await staging;
    await staged.commit();
    expect(new Uint8Array(await readFile(blobs.pathOf(staged.sha256)))).toEqual(bytes);
  });

  it("is harmless before any upload made the directory", async () => {
    expect(await new BlobStore(root).sweepIncoming({ olderThanMs: 0 })).toBe(0);
  });
});
