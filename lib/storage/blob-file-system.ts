import { constants } from "node:fs";
import { open, rename } from "node:fs/promises";

/** A new file being written. */
export interface WritableBlobFile {
  write(bytes: Uint8Array): Promise<void>;
  /** fsync: the bytes are on the disk, not only in the page cache. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The few file operations the blob store writes with, as a port: tests wrap it to inject a full
 * disk or to see that writes are synced (tests/support/fault-file-system.ts).
 */
export interface BlobFileSystem {
  /** Creates a new file for writing; fails if it exists. */
  create(filePath: string): Promise<WritableBlobFile>;
  rename(from: string, to: string): Promise<void>;
  /** fsync on a directory: a rename or a new entry in it survives a crash. */
  syncDirectory(directory: string): Promise<void>;
}

export const nodeBlobFileSystem: BlobFileSystem = {
  create: async (filePath) => {
    const handle = await open(filePath, "wx");
    return {
      write: async (bytes) => {
        let offset = 0;
        while (offset < bytes.byteLength) {
          const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
          offset += bytesWritten;
        }
      },
      sync: () => handle.sync(),
      close: () => handle.close(),
    };
  },
  rename: (from, to) => rename(from, to),
  syncDirectory: async (directory) => {
    const handle = await open(directory, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};
