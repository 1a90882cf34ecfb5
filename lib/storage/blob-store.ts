import { createHash, randomUUID } from "node:crypto";
import { mkdir, readdir, rm, stat, statfs, unlink } from "node:fs/promises";
import path from "node:path";
import { AppError } from "../errors";
import { type BlobFileSystem, nodeBlobFileSystem } from "./blob-file-system";

export interface StoredBlob {
  sha256: string;
  byteSize: number;
  /** The first bytes, for type detection by magic numbers. */
  head: Uint8Array;
}

/** Bytes received and hashed but not yet at their content address. */
export interface StagedBlob extends StoredBlob {
  /** Moves the bytes to their content address (replacing an identical copy, if any), durably. */
  commit(): Promise<void>;
  /** Removes the staged bytes; harmless after `commit`. */
  discard(): Promise<void>;
}

export interface StageOptions {
  maxBytes: number;
  /**
   * Inspects the first bytes (up to 1 KiB, fewer for a shorter file) before anything is written:
   * a refused type stops the upload with nothing on disk.
   */
  validate?: (head: Uint8Array) => void;
}

export interface BlobStoreOptions {
  /** The file operations; tests inject faults (a full disk) here. @default the node:fs adapter */
  fileSystem?: BlobFileSystem;
}

const headBytes = 1024;

/** Where uploads are written before they have a content address. */
const incomingDirectoryName = ".incoming";

/**
 * Originals stored by content: `<root>/<sha256[0:2]>/<sha256>`. Names come only from the hash,
 * never from the uploader, so a hostile file name cannot choose where bytes land.
 */
export class BlobStore {
  private readonly fileSystem: BlobFileSystem;
  /** `.incoming` files this process is writing or holding for a commit: never swept. */
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly root: string,
    options: BlobStoreOptions = {},
  ) {
    this.fileSystem = options.fileSystem ?? nodeBlobFileSystem;
  }

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new AppError("invalid:sha256");
    return path.join(this.root, sha256.slice(0, 2), sha256);
  }

  get incomingDirectory(): string {
    return path.join(this.root, incomingDirectoryName);
  }

  /**
   * Streams `body` to a temporary file while hashing it, refusing more than `maxBytes`; the first
   * bytes are checked by `validate` before the file is created. The file is fsynced before this
   * resolves. The caller commits under the lock deletions take to remove blobs, after writing
   * the rows that refer to it and before they commit — so a concurrent deletion of the last
   * reference to the same bytes cannot remove them between the two. A partial, oversized,
   * refused or failed (disk full) upload leaves nothing behind.
   */
  async stage(body: AsyncIterable<Uint8Array>, options: StageOptions): Promise<StagedBlob> {
    const { maxBytes } = options;
    const iterator = body[Symbol.asyncIterator]();
    const hash = createHash("sha256");
    let byteSize = 0;
    const take = (piece: Uint8Array) => {
      byteSize += piece.byteLength;
      if (byteSize > maxBytes) throw tooLarge(maxBytes);
      hash.update(piece);
    };
    // The head first, in memory (≤ 1 KiB plus one piece): nothing touches the disk before the type is known.
    const early: Uint8Array[] = [];
    let isDone = false;
    try {
      while (byteSize < headBytes) {
        const next = await iterator.next();
        if (next.done) {
          isDone = true;
          break;
        }
        take(next.value);
        early.push(next.value);
      }
    } catch (error) {
      await iterator.return?.();
      throw error;
    }
    const head = concatenate(early).subarray(0, headBytes);
    try {
      options.validate?.(head);
    } catch (error) {
      await iterator.return?.();
      throw error;
    }

    await this.ensureDirectory(this.incomingDirectory);
    const temporaryPath = path.join(this.incomingDirectory, randomUUID());
    this.inFlight.add(temporaryPath);
    const forget = async () => {
      await rm(temporaryPath, { force: true });
      this.inFlight.delete(temporaryPath);
    };
    try {
      const file = await this.fileSystem.create(temporaryPath);
      try {
        for (const piece of early) await file.write(piece);
        while (!isDone) {
          const next = await iterator.next();
          if (next.done) break;
          take(next.value);
          await file.write(next.value);
        }
        // Durable before any row names these bytes (and so before the client hears 202).
        await file.sync();
      } finally {
        await file.close();
      }
    } catch (error) {
      await iterator.return?.().catch(() => undefined);
      await forget();
      throw asStorageError(error);
    }
    const sha256 = hash.digest("hex");
    const finalPath = this.pathOf(sha256);
    return {
      sha256,
      byteSize,
      head,
      commit: async () => {
        try {
          await this.ensureDirectory(path.dirname(finalPath));
          await this.fileSystem.rename(temporaryPath, finalPath);
          // The new name survives a crash only once its directory is synced.
          await this.fileSystem.syncDirectory(path.dirname(finalPath));
          this.inFlight.delete(temporaryPath);
        } catch (error) {
          throw asStorageError(error);
        }
      },
      discard: forget,
    };
  }

  /**
   * Removes `.incoming` files left by uploads that were interrupted (a killed process, a crash
   * between writing and committing): those not written for `olderThanMs` and not in flight in
   * this process. Age decides across processes: a live upload in another process keeps
   * touching its file. Returns how many were removed.
   */
  async sweepIncoming({
    olderThanMs,
    now = Date.now(),
  }: {
    olderThanMs: number;
    now?: number;
  }): Promise<number> {
    const names = await readdir(this.incomingDirectory).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [] as string[];
      throw error;
    });
    let removed = 0;
    for (const name of names) {
      const filePath = path.join(this.incomingDirectory, name);
      if (this.inFlight.has(filePath)) continue;
      const info = await stat(filePath).catch(() => undefined);
      if (!info?.isFile() || now - info.mtimeMs < olderThanMs) continue;
      await rm(filePath, { force: true });
      removed += 1;
    }
    return removed;
  }

  /** Bytes free to this process on the filesystem that holds the blobs. */
  async freeBytes(): Promise<number> {
    await mkdir(this.root, { recursive: true });
    const info = await statfs(this.root);
    return info.bavail * info.bsize;
  }

  /** Deletes the stored bytes; a blob already gone is not an error. */
  async remove(sha256: string): Promise<void> {
    await unlink(this.pathOf(sha256)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
  }

  /** Creates a directory and syncs its parent, so the new entry survives a crash too. */
  private async ensureDirectory(directory: string): Promise<void> {
    const created = await mkdir(directory, { recursive: true });
    if (created !== undefined) await this.fileSystem.syncDirectory(path.dirname(directory));
  }
}

function concatenate(pieces: Uint8Array[]): Uint8Array {
  if (pieces.length === 1 && pieces[0]) return pieces[0];
  const joined = new Uint8Array(pieces.reduce((total, piece) => total + piece.byteLength, 0));
  let offset = 0;
  for (const piece of pieces) {
    joined.set(piece, offset);
    offset += piece.byteLength;
  }
  return joined;
}

function tooLarge(maxBytes: number): AppError {
  return new AppError("too_large:upload", {
    message: `The file is larger than the ${Math.floor(maxBytes / 1_048_576)} MB limit.`,
    details: { maxBytes },
  });
}

const storageFullCodes = new Set(["ENOSPC", "EDQUOT"]);

/** A full disk (or a filesystem quota) is the server's problem, said plainly: 507. */
export function asStorageError(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined || !storageFullCodes.has(code)) return error;
  return storageFull(error);
}

export function storageFull(cause?: unknown): AppError {
  return new AppError("insufficient_storage:storage_full", {
    message:
      "The server's storage is full: the file was not stored. Ask an administrator to free space under DATA_DIR, then upload again.",
    cause,
  });
}
