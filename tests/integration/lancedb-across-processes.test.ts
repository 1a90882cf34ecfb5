import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface, type Interface } from "node:readline";
import * as lancedb from "@lancedb/lancedb";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LanceDbStore } from "../../lib/vector-store/lancedb-store";
import type { ChunkWithVector } from "../../lib/vector-store/vector-store";

const dims = 4;
const directories: string[] = [];
const children: ChildProcessWithoutNullStreams[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});
afterAll(async () => {
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});

async function tableDirectory(): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), "folio-lance-processes-"));
  directories.push(directory);
  return directory;
}

interface Owner {
  collectionId: string;
  documentId: string;
  versionId: string;
}

function owner(collectionId: string = randomUUID()): Owner {
  return { collectionId, documentId: randomUUID(), versionId: randomUUID() };
}

function chunksOf(version: Owner, texts: string[]): ChunkWithVector[] {
  return texts.map((text, index) => ({
    id: `${version.versionId.replaceAll("-", "").slice(0, 24)}${String(index).padStart(8, "0")}`,
    ...version,
    chunkIndex: index,
    pageNumber: 1,
    pageLabel: null,
    box: null,
    kind: "text",
    text,
    source: "text_layer",
    confidence: null,
    headingPath: [],
    figureFile: null,
    contentHash: `hash-${index}`,
    embedderId: "test",
    vector: Float32Array.from([1, index, 0, 0]),
  }));
}

/** Another process writing to the same table directory (tests/support/lancedb-writer-process.ts). */
async function startWriter(uri: string) {
  const child = spawn(
    path.resolve("node_modules/.bin/tsx"),
    [path.resolve("tests/support/lancedb-writer-process.ts"), uri, String(dims)],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  children.push(child);
  let stderr = "";
  child.stderr.on("data", (data: Buffer) => {
    stderr += data.toString();
  });
  const lines: Interface = createInterface({ input: child.stdout });
  const iterator = lines[Symbol.asyncIterator]();
  const nextAnswer = async (): Promise<unknown> => {
    const { value, done } = await iterator.next();
    if (done) throw new Error(`the writer process ended: ${stderr}`);
    return JSON.parse(value);
  };
  await nextAnswer();
  const send = (command: unknown) => {
    child.stdin.write(`${JSON.stringify(command)}\n`);
    return nextAnswer();
  };
  return {
    replace: (version: Owner, texts: string[]) =>
      send({
        replace: {
          documentId: version.documentId,
          versionId: version.versionId,
          chunks: chunksOf(version, texts).map((chunk) => ({ ...chunk, vector: Array.from(chunk.vector) })),
        },
      }) as Promise<{ tableVersion: number }>,
    deleteDocument: (documentId: string) => send({ deleteDocument: documentId }),
  };
}

/** Polls `read` until it returns what `isExpected` wants, or gives up after `timeoutMs`. */
async function eventually<T>(read: () => Promise<T>, isExpected: (value: T) => boolean, timeoutMs = 6_000) {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!isExpected(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

describe("LanceDbStore shared by several processes", () => {
  it("a reader opened before another process writes sees its new, replaced and deleted chunks", async () => {
    const uri = await tableDirectory();
    // The reader (a web node with INGEST_WORKER=off) opens the table first, with the defaults.
    const reader = await LanceDbStore.create({ uri, dims });
    try {
      const writer = await startWriter(uri);
      const first = owner();
      const textsOf = () =>
        reader
          .getChunks({
            collectionIds: [first.collectionId],
            chunkIds: [...chunksOf(first, ["", ""]), ...chunksOf(second, ["", ""])].map((chunk) => chunk.id),
          })
          .then((chunks) => chunks.map((chunk) => chunk.text).sort());
      const second: Owner = { ...first, versionId: randomUUID() };

      await writer.replace(first, ["first one", "first two"]);
      expect(await eventually(textsOf, (texts) => texts.length === 2)).toEqual(["first one", "first two"]);

      await writer.replace(second, ["second one"]);
      expect(await eventually(textsOf, (texts) => texts[0] === "second one")).toEqual(["second one"]);

      // The deletion also erases the text from disk (it removes the version the reader last read,
      // with its files): the reader's next read moves to the newest version instead of failing.
      await writer.deleteDocument(first.documentId);
      expect(await eventually(textsOf, (texts) => texts.length === 0)).toEqual([]);
    } finally {
      await reader.close();
    }
  });

  it("replaces a document's chunks in one commit: no table version holds the document without them", async () => {
    const uri = await tableDirectory();
    const store = await LanceDbStore.create({ uri, dims });
    const first = owner();
    const other = owner(first.collectionId);
    try {
      await store.replaceDocumentChunks({ ...other, chunks: chunksOf(other, ["other"]) });
      let { tableVersion } = await store.replaceDocumentChunks({
        ...first,
        chunks: chunksOf(first, ["v0 a", "v0 b"]),
      });
      for (let round = 1; round <= 3; round += 1) {
        const next: Owner = { ...first, versionId: randomUUID() };
        const written = await store.replaceDocumentChunks({
          ...next,
          chunks: chunksOf(
            next,
            Array.from({ length: round }, (_, index) => `v${round} ${index}`),
          ),
        });
        // One data commit; a full-text index rebuild (full-text-index.ts) may follow as its own
        // commit, which changes no rows.
        expect(written.tableVersion).toBeGreaterThan(tableVersion);
        tableVersion = written.tableVersion;
      }
      expect(await store.countChunks({ documentId: first.documentId })).toBe(3);
      expect(await store.countChunks({ documentId: other.documentId })).toBe(1);
    } finally {
      await store.close();
    }

    // Every commit since the document's first write, as a reader that opened it would see it.
    const connection = await lancedb.connect(uri);
    const table = await connection.openTable("chunks");
    try {
      const counts: number[] = [];
      for (const { version } of await table.listVersions()) {
        await table.checkout(version);
        counts.push(await table.countRows(`document_id = '${first.documentId}'`));
      }
      const sinceFirstWrite = counts.slice(counts.findIndex((count) => count > 0));
      expect(sinceFirstWrite).not.toContain(0);
      const changes = sinceFirstWrite.filter(
        (count, index) => index === 0 || count !== sinceFirstWrite[index - 1],
      );
      expect(changes).toEqual([2, 1, 2, 3]);
    } finally {
      table.close();
      connection.close();
    }
  });
});
