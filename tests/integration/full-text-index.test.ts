import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { afterAll, describe, expect, it } from "vitest";
import { LanceDbStore } from "../../lib/vector-store/lancedb-store";
import type { ChunkWithVector } from "../../lib/vector-store/vector-store";

const dims = 4;
const directories: string[] = [];
const collectionId = randomUUID();
const documentId = randomUUID();
const versionId = randomUUID();

afterAll(async () => {
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});

async function scratchUri(): Promise<string> {
  const uri = await mkdtemp(path.join(tmpdir(), "folio-fts-"));
  directories.push(uri);
  return uri;
}

function chunk(index: number, text: string, headingPath: string[]): ChunkWithVector {
  return {
    id: `${versionId.replaceAll("-", "").slice(0, 24)}${String(index).padStart(8, "0")}`,
    collectionId,
    documentId,
    versionId,
    chunkIndex: index,
    pageNumber: 1,
    pageLabel: null,
    box: null,
    kind: "text",
    text,
    source: "text_layer",
    confidence: null,
    headingPath,
    figureFile: null,
    contentHash: `hash-${index}`,
    embedderId: "test",
    vector: new Float32Array([1, 0, 0, 0]),
  };
}

const chunks = [
  chunk(0, "Zebra migration across the plains\n\nHerds cross rivers every year.", [
    "Zebra migration across the plains",
  ]),
  chunk(1, "The crossing peaks in August when the grass runs short.", ["Zebra migration across the plains"]),
];

async function textSearch(store: LanceDbStore, query: string): Promise<number[]> {
  const hits = await store.search({
    collectionIds: [collectionId],
    queryText: query,
    queryVector: new Float32Array(dims),
    limit: 10,
    mode: "text",
  });
  return hits.map((hit) => hit.chunk.chunkIndex).sort();
}

async function fullTextIndexNames(uri: string): Promise<string[]> {
  const connection = await lancedb.connect(uri);
  const table = await connection.openTable("chunks");
  try {
    const indices = await table.listIndices();
    return indices
      .filter((index) => index.indexType.toUpperCase().includes("FTS"))
      .map((index) => index.name);
  } finally {
    table.close();
    connection.close();
  }
}

describe("LanceDbStore full-text index", () => {
  it("finds a chunk by the words of its headings, stemmed the English way by default", async () => {
    const store = await LanceDbStore.create({ uri: await scratchUri(), dims });
    try {
      await store.replaceDocumentChunks({ documentId, versionId, chunks });
      // Chunk 1 says nothing of zebras: its heading does.
      expect(await textSearch(store, "zebra")).toEqual([0, 1]);
      expect(await textSearch(store, "migrating zebras")).toEqual([0, 1]);
      expect(await textSearch(store, "august")).toEqual([1]);
    } finally {
      await store.close();
    }
  });

  it("finds every chunk of a document by the words of its title", async () => {
    const store = await LanceDbStore.create({ uri: await scratchUri(), dims });
    try {
      await store.replaceDocumentChunks({
        documentId,
        versionId,
        chunks,
        documentTitle: "OKAVANGO_2023_survey.pdf",
      });
      expect(await textSearch(store, "okavango survey")).toEqual([0, 1]);
      // The extension is not a word of the title.
      expect(await textSearch(store, "pdf")).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("finds words every new chunk repeats right after the first write (the index is rebuilt while it covers under half the rows)", async () => {
    const store = await LanceDbStore.create({ uri: await scratchUri(), dims });
    try {
      const clauses = Array.from({ length: 40 }, (_, index) =>
        chunk(index, `Clause ${index} applies to every contractor on site. `.repeat(12).trim(), ["Terms"]),
      );
      await store.replaceDocumentChunks({ documentId, versionId, chunks: clauses });
      // LanceDB alone finds none of them: the index was built on the empty table.
      expect(await textSearch(store, "contractor")).toHaveLength(10);
      expect(await textSearch(store, "clause 7")).toContain(7);
    } finally {
      await store.close();
    }
  });

  it("replaces the index an older Folio built (LanceDB defaults over the text alone) when the table opens", async () => {
    const uri = await scratchUri();
    const store = await LanceDbStore.create({ uri, dims });
    await store.replaceDocumentChunks({ documentId, versionId, chunks });
    await store.close();
    // Make the table what an older Folio left: no search_text column, its unnamed index on text.
    const connection = await lancedb.connect(uri);
    const table = await connection.openTable("chunks");
    for (const name of await fullTextIndexNames(uri)) await table.dropIndex(name);
    await table.dropColumns(["search_text"]);
    await table.createIndex("text", { config: lancedb.Index.fts() });
    table.close();
    connection.close();
    expect(await fullTextIndexNames(uri)).toEqual(["text_idx"]);

    const reopened = await LanceDbStore.create({ uri, dims });
    try {
      expect(await fullTextIndexNames(uri)).toEqual(["fts_v2_english"]);
      expect(await textSearch(reopened, "zebra")).toEqual([0, 1]);
    } finally {
      await reopened.close();
    }
  });

  it("rebuilds the index when FTS_LANGUAGE changes: `none` matches words only as written", async () => {
    const uri = await scratchUri();
    const english = await LanceDbStore.create({ uri, dims });
    await english.replaceDocumentChunks({ documentId, versionId, chunks });
    // "cross" and "crossing" share the stem of "crosses".
    expect(await textSearch(english, "crosses")).toEqual([0, 1]);
    await english.close();

    const unstemmed = await LanceDbStore.create({ uri, dims, fullText: { language: "none" } });
    try {
      expect(await fullTextIndexNames(uri)).toEqual(["fts_v2_none"]);
      expect(await textSearch(unstemmed, "crosses")).toEqual([]);
      expect(await textSearch(unstemmed, "cross")).toEqual([0]);
      // Stop words are words like any other without a language.
      expect(await textSearch(unstemmed, "the")).toEqual([0, 1]);
    } finally {
      await unstemmed.close();
    }
  });
});
