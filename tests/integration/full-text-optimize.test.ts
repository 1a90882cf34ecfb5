import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { afterAll, expect, it } from "vitest";
import { LanceDbStore, toRow } from "../../lib/vector-store/lancedb-store";

const directories: string[] = [];
afterAll(async () => {
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});

let seed = 5;
function random(): number {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
}

/**
 * LanceDB 0.31 deadlocked here on 2 cores (lance-environment.ts): adding this many chunks of
 * varied text to the full-text index at once never returned, with 0% CPU, and the writer lock held.
 */
it("adds a large upload (40,000 chunks, 50,000 distinct words) to the full-text index without hanging", async () => {
  const uri = await mkdtemp(path.join(tmpdir(), "folio-fts-optimize-"));
  directories.push(uri);
  const store = await LanceDbStore.create({ uri, dims: 4 });
  const words = Array.from(
    { length: 50_000 },
    (_, index) => `w${index.toString(36)}q${Math.floor(random() * 1e6).toString(36)}`,
  );
  const rows = Array.from({ length: 41_000 }, (_, index) =>
    toRow({
      id: index.toString(16).padStart(32, "0"),
      collectionId: "0b6f7a36-0a3c-4f4e-9a55-2f3c6b1d7e01",
      documentId: "0b6f7a36-0a3c-4f4e-9a55-2f3c6b1d7e02",
      versionId: "0b6f7a36-0a3c-4f4e-9a55-2f3c6b1d7e03",
      chunkIndex: index,
      pageNumber: 1,
      pageLabel: null,
      box: null,
      kind: "text",
      text: Array.from({ length: 60 }, () => words[Math.floor(random() * words.length)]).join(" "),
      source: "text_layer",
      confidence: null,
      headingPath: [],
      figureFile: null,
      contentHash: "h",
      embedderId: "test",
      vector: Float32Array.from([1, random(), random(), random()]),
    }),
  );
  const connection = await lancedb.connect(uri);
  const table = await connection.openTable("chunks");
  // An index that already covers some rows: its partition is rewritten beside the new one.
  await table.add(rows.slice(0, 1000));
  await store.optimize({ keepVersionsMs: 0 });
  await table.add(rows.slice(1000));
  table.close();
  connection.close();
  try {
    const hung = new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 60_000).unref());
    const outcome = await Promise.race([store.optimize({ keepVersionsMs: 0 }), hung]);
    expect(outcome).not.toBe("hung");
    const [hit] = await store.search({
      collectionIds: ["0b6f7a36-0a3c-4f4e-9a55-2f3c6b1d7e01"],
      queryText: rows[12_345]?.text.split(" ").slice(0, 3).join(" ") ?? "",
      queryVector: new Float32Array(4),
      limit: 1,
      mode: "text",
    });
    expect(hit?.chunk.chunkIndex).toBe(12_345);
  } finally {
    await store.close();
  }
}, 90_000);
