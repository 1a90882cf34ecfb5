import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChunkWithVector, VectorStore } from "../../lib/vector-store/vector-store";

/**
 * What every VectorStore adapter must do (STYLE.md §7). `createStore(dims)` returns a fresh,
 * empty store; `reopenStore(dims)` opens the same storage again with another vector size.
 */
export function describeVectorStoreContract(
  name: string,
  factories: {
    createStore: (dims: number) => Promise<VectorStore>;
    reopenStore: (dims: number) => Promise<VectorStore>;
  },
): void {
  const dims = 8;

  describe(`${name} (VectorStore contract)`, () => {
    let store: VectorStore;
    beforeEach(async () => {
      store = await factories.createStore(dims);
    });
    afterEach(async () => store.close());

    const collectionA = randomUUID();
    const collectionB = randomUUID();

    function chunk(
      owner: { collectionId: string; documentId: string; versionId: string },
      index: number,
      text: string,
      axis: number,
    ): ChunkWithVector {
      const vector = new Float32Array(dims);
      vector[axis % dims] = 1;
      return {
        id: `${owner.versionId.replaceAll("-", "").slice(0, 24)}${String(index).padStart(8, "0")}`,
        ...owner,
        chunkIndex: index,
        pageNumber: index + 1,
        pageLabel: index % 4 === 2 ? `Slide ${index + 1}` : null,
        box: [10, 20, 300, 40],
        kind: index % 3 === 2 ? "figure" : "text",
        text,
        source: index % 2 === 0 ? "text_layer" : "ocr",
        confidence: index % 2 === 0 ? null : 0.5 + index / 100,
        headingPath: index % 3 === 0 ? [] : ["Part I", `Section ${index}`],
        figureFile: index % 3 === 2 ? `p${index + 1}-f1.png` : null,
        contentHash: `hash-${index}`,
        embedderId: "test",
        vector,
      };
    }

    const owner = (collectionId: string) => ({
      collectionId,
      documentId: randomUUID(),
      versionId: randomUUID(),
    });
    const search = (
      collectionIds: string[],
      queryText: string,
      axis: number,
      mode?: "hybrid" | "vector" | "text",
    ) => {
      const queryVector = new Float32Array(dims);
      queryVector[axis] = 1;
      return store.search({ collectionIds, queryText, queryVector, limit: 10, mode });
    };

    it("replacing a document's chunks replaces only that document", async () => {
      const first = owner(collectionA);
      const other = owner(collectionA);
      await store.replaceDocumentChunks({
        ...first,
        chunks: [chunk(first, 0, "alpha one", 0), chunk(first, 1, "alpha two", 1)],
      });
      await store.replaceDocumentChunks({ ...other, chunks: [chunk(other, 0, "bravo one", 2)] });
      const second = { ...first, versionId: randomUUID() };
      await store.replaceDocumentChunks({ ...second, chunks: [chunk(second, 0, "alpha three", 0)] });

      const hits = await search([collectionA], "alpha bravo", 0, "text");
      const texts = hits.map((hit) => hit.chunk.text).sort();
      expect(texts).toEqual(["alpha three", "bravo one"]);
    });

    it("is idempotent: writing the same version twice leaves one copy", async () => {
      const document = owner(collectionA);
      const chunks = [chunk(document, 0, "charlie", 3)];
      await store.replaceDocumentChunks({ ...document, chunks });
      await store.replaceDocumentChunks({ ...document, chunks });
      expect(
        await store.getChunks({ collectionIds: [collectionA], chunkIds: chunks.map((c) => c.id) }),
      ).toHaveLength(1);
    });

    it("deleting a document removes only it", async () => {
      const kept = owner(collectionA);
      const deleted = owner(collectionA);
      await store.replaceDocumentChunks({ ...kept, chunks: [chunk(kept, 0, "delta kept", 4)] });
      await store.replaceDocumentChunks({ ...deleted, chunks: [chunk(deleted, 0, "delta gone", 4)] });
      await store.deleteDocument(deleted.documentId);
      const hits = await search([collectionA], "delta", 4);
      expect(hits.map((hit) => hit.chunk.text)).toEqual(["delta kept"]);
    });

    it("deleting a collection removes only its chunks", async () => {
      const doomedCollection = randomUUID();
      const kept = owner(collectionA);
      const doomed = owner(doomedCollection);
      await store.replaceDocumentChunks({ ...kept, chunks: [chunk(kept, 0, "hotel kept", 6)] });
      await store.replaceDocumentChunks({ ...doomed, chunks: [chunk(doomed, 0, "hotel gone", 6)] });
      await store.deleteCollection(doomedCollection);
      expect(await search([doomedCollection], "hotel", 6)).toEqual([]);
      expect((await search([collectionA], "hotel", 6)).map((hit) => hit.chunk.text)).toEqual(["hotel kept"]);
    });

    it("never returns chunks outside the given collections, in any mode", async () => {
      const visible = owner(collectionA);
      const secret = owner(collectionB);
      await store.replaceDocumentChunks({ ...visible, chunks: [chunk(visible, 0, "echo public", 5)] });
      await store.replaceDocumentChunks({ ...secret, chunks: [chunk(secret, 0, "echo canary secret", 5)] });
      for (const mode of ["hybrid", "vector", "text"] as const) {
        const hits = await search([collectionA], "echo canary secret", 5, mode);
        expect(hits.map((hit) => hit.chunk.collectionId)).toEqual([collectionA]);
      }
      expect(await search([], "echo", 5)).toEqual([]);
      expect(
        await store.getChunks({ collectionIds: [collectionA], chunkIds: [chunk(secret, 0, "", 0).id] }),
      ).toEqual([]);
    });

    it("keeps provenance: page, page label, box and hash come back as written", async () => {
      const document = owner(collectionA);
      const written = chunk(document, 2, "foxtrot provenance", 6);
      await store.replaceDocumentChunks({ ...document, chunks: [written] });
      const [hit] = await search([collectionA], "foxtrot", 6);
      const { vector: _vector, ...expected } = written;
      expect(hit?.chunk).toEqual(expected);
    });

    it("refuses a vector of the wrong dimension", async () => {
      const document = owner(collectionA);
      const bad = { ...chunk(document, 0, "golf", 0), vector: new Float32Array(dims + 1) };
      await expect(store.replaceDocumentChunks({ ...document, chunks: [bad] })).rejects.toMatchObject({
        code: "internal:embedding_dims_mismatch",
      });
      await expect(factories.reopenStore(dims * 2)).rejects.toMatchObject({
        code: "unavailable:embedding_dims_mismatch",
      });
    });

    it("refuses identifiers that could shape a filter", async () => {
      await expect(search(["x' OR '1'='1"], "anything", 0)).rejects.toMatchObject({
        code: "invalid:identifier",
      });
    });
  });
}
