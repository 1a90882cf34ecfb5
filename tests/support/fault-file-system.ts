import { type BlobFileSystem, nodeBlobFileSystem } from "../../lib/storage/blob-file-system";

/** One call the blob store made, in order: what a test checks durability by. */
export type FileSystemCall =
  | { kind: "create" | "write" | "sync" | "close"; path: string }
  | { kind: "rename"; from: string; to: string }
  | { kind: "syncDirectory"; path: string };

/**
 * The real node:fs adapter, recording every call, and — when `failAfterBytes` is set — failing a
 * write with ENOSPC once that many bytes of a file have been written, after writing what fit (as a
 * full disk does). The bytes before the fault really land in the file.
 */
export function recordingFileSystem(options: { failAfterBytes?: number } = {}): {
  fileSystem: BlobFileSystem;
  calls: FileSystemCall[];
} {
  const calls: FileSystemCall[] = [];
  const fileSystem: BlobFileSystem = {
    create: async (filePath) => {
      calls.push({ kind: "create", path: filePath });
      const file = await nodeBlobFileSystem.create(filePath);
      let written = 0;
      return {
        write: async (bytes) => {
          calls.push({ kind: "write", path: filePath });
          const room = (options.failAfterBytes ?? Number.POSITIVE_INFINITY) - written;
          if (bytes.byteLength > room) {
            await file.write(bytes.subarray(0, Math.max(0, room)));
            written += Math.max(0, room);
            throw Object.assign(new Error("ENOSPC: no space left on device, write"), {
              code: "ENOSPC",
              errno: -28,
              syscall: "write",
            });
          }
          await file.write(bytes);
          written += bytes.byteLength;
        },
        sync: async () => {
          calls.push({ kind: "sync", path: filePath });
          await file.sync();
        },
        close: async () => {
          calls.push({ kind: "close", path: filePath });
          await file.close();
        },
      };
    },
    rename: async (from, to) => {
      calls.push({ kind: "rename", from, to });
      await nodeBlobFileSystem.rename(from, to);
    },
    syncDirectory: async (directory) => {
      calls.push({ kind: "syncDirectory", path: directory });
      await nodeBlobFileSystem.syncDirectory(directory);
    },
  };
  return { fileSystem, calls };
}
