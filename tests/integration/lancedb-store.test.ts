import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { Field, FixedSizeList, Float32, Int32, Schema, Utf8 } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { LanceDbStore } from "../../lib/vector-store/lancedb-store";
import { describeVectorStoreContract } from "../contract/vector-store.contract";

const directories: string[] = [];
let current = "";

describeVectorStoreContract("LanceDbStore", {
  createStore: async (dims) => {
    current = await mkdtemp(path.join(tmpdir(), "folio-lance-"));
    directories.push(current);
    return LanceDbStore.create({ uri: current, dims });
  },
  reopenStore: (dims) => LanceDbStore.create({ uri: current, dims }),
});

afterAll(async () => {
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});

describe("LanceDbStore on a table written before chunks carried their provenance", () => {
  it("adds source, confidence, heading path, figure and page label columns, keeping every row", async () => {
    const uri = await mkdtemp(path.join(tmpdir(), "folio-lance-old-"));
    directories.push(uri);
    const dims = 4;
    const connection = await lancedb.connect(uri);
    const oldSchema = new Schema([
      ...["id", "collection_id", "document_id", "version_id"].map(
        (name) => new Field(name, new Utf8(), false),
      ),
      new Field("chunk_index", new Int32(), false),
      new Field("page_number", new Int32(), false),
      ...["box", "kind", "text", "content_hash", "embedder_id"].map(
        (name) => new Field(name, new Utf8(), false),
      ),
      new Field("vector", new FixedSizeList(dims, new Field("item", new Float32(), true)), false),
    ]);
    const collectionId = "0b6f7a36-0a3c-4f4e-9a55-2f3c6b1d7e01";
    const table = await connection.createTable(
      "chunks",
      [
        {
          id: "a".repeat(32),
          collection_id: collectionId,
          document_id: "0b6f7a36-0a3c-4f4e-9a55-2f3c6b1d7e02",
          version_id: "0b6f7a36-0a3c-4f4e-9a55-2f3c6b1d7e03",
          chunk_index: 0,
          page_number: 1,
          box: "[1,2,3,4]",
          kind: "text",
          text: "written by an older Folio",
          content_hash: "h",
          embedder_id: "old",
          vector: [1, 0, 0, 0],
        },
      ],
      { schema: oldSchema },
    );
    table.close();
    connection.close();

    const store = await LanceDbStore.create({ uri, dims });
    try {
      const [chunk] = await store.getChunks({ collectionIds: [collectionId], chunkIds: ["a".repeat(32)] });
      expect(chunk).toMatchObject({
        text: "written by an older Folio",
        source: "text_layer",
        confidence: null,
        headingPath: [],
        figureFile: null,
        pageLabel: null,
      });
    } finally {
      await store.close();
    }
  });
});
