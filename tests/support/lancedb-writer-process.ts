/**
 * A second process writing to a chunk table (as an ingest worker on another node would):
 * `tsx tests/support/lancedb-writer-process.ts <uri> <dims>` reads one JSON command a line on
 * stdin — `{ "replace": { documentId, versionId, chunks } }` or `{ "deleteDocument": id }` — and
 * answers each with one JSON line once it is committed.
 */
import { createInterface } from "node:readline";
import { LanceDbStore } from "../../lib/vector-store/lancedb-store";
import type { ChunkWithVector } from "../../lib/vector-store/vector-store";

type SerializedChunk = Omit<ChunkWithVector, "vector"> & { vector: number[] };
type Command =
  | { replace: { documentId: string; versionId: string; chunks: SerializedChunk[] } }
  | { deleteDocument: string };

const [uri, dims] = process.argv.slice(2);
if (!uri || !dims) throw new Error("usage: lancedb-writer-process.ts <uri> <dims>");
const store = await LanceDbStore.create({ uri, dims: Number(dims) });
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as Command;
  if ("replace" in command) {
    const { chunks, ...owner } = command.replace;
    const written = await store.replaceDocumentChunks({
      ...owner,
      chunks: chunks.map((chunk) => ({ ...chunk, vector: Float32Array.from(chunk.vector) })),
    });
    process.stdout.write(`${JSON.stringify(written)}\n`);
  } else {
    await store.deleteDocument(command.deleteDocument);
    process.stdout.write(`${JSON.stringify({ deleted: command.deleteDocument })}\n`);
  }
}
await store.close();
