import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, unlink } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AppError } from "../errors";

export interface StoredBlob {
  sha256: string;
  byteSize: number;
  /** The first bytes, for type detection by magic numbers. */
  head: Uint8Array;
}

/** Bytes received and hashed but not yet at their content address. */
export interface StagedBlob extends StoredBlob {
  /** Moves the bytes to their content address (replacing an identical copy, if any). */
  commit(): Promise<void>;
  /** Removes the staged bytes; harmless after `commit`. */
  discard(): Promise<void>;
}

const headBytes = 1024;

/**
 * Originals stored by content: `<root>/<sha256[0:2]>/<sha256>`. Names come only from the hash,
 * never from the uploader, so a hostile file name cannot choose where bytes land.
 */
export class BlobStore {
  constructor(private readonly root: string) {}

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new AppError("invalid:sha256");
    return path.join(this.root, sha256.slice(0, 2), sha256);
  }

  /**
   * Streams `body` to a temporary file while hashing it, refusing more than `maxBytes`, and lets
   * `validate` inspect the first bytes. The caller commits under the lock deletions take to
   * remove blobs, after writing the rows that refer to it and before they commit — so a
   * concurrent deletion of the last reference to the same bytes cannot remove them between the
   * two. A partial, oversized or refused upload leaves nothing behind.
   */
  async stage(
    body: AsyncIterable<Uint8Array>,
    options: { maxBytes: number; validate?: (head: Uint8Array) => void },
  ): Promise<StagedBlob> {
    const { maxBytes } = options;
    const temporaryDirectory = path.join(this.root, ".incoming");
    await mkdir(temporaryDirectory, { recursive: true });
    const temporaryPath = path.join(temporaryDirectory, randomUUID());
    const hash = createHash("sha256");
    const head = new Uint8Array(headBytes);
    let byteSize = 0;
    const meter = new Transform({
      transform(piece: Buffer, _encoding, callback) {
        if (byteSize < headBytes) head.set(piece.subarray(0, headBytes - byteSize), byteSize);
        byteSize += piece.byteLength;
        if (byteSize > maxBytes) {
          callback(
            new AppError("too_large:upload", {
              message: `The file is larger than the ${Math.floor(maxBytes / 1_048_576)} MB limit.`,
              details: { maxBytes },
            }),
          );
          return;
        }
        hash.update(piece);
        callback(null, piece);
      },
    });
    try {
      await pipeline(Readable.from(body), meter, createWriteStream(temporaryPath, { flags: "wx" }));
      const headRead = head.subarray(0, Math.min(byteSize, headBytes));
      options.validate?.(headRead);
      const sha256 = hash.digest("hex");
      const finalPath = this.pathOf(sha256);
      return {
        sha256,
        byteSize,
        head: headRead,
        commit: async () => {
          await mkdir(path.dirname(finalPath), { recursive: true });
          await rename(temporaryPath, finalPath);
        },
        discard: () => rm(temporaryPath, { force: true }),
      };
    } catch (error) {
      await rm(temporaryPath, { force: true });
      throw error;
    }
  }

  /** Deletes the stored bytes; a blob already gone is not an error. */
  async remove(sha256: string): Promise<void> {
    await unlink(this.pathOf(sha256)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
  }
}
