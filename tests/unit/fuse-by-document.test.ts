import { describe, expect, it } from "vitest";
import { fuseByDocument } from "../../lib/retrieval/fuse-by-document";

const passage = (documentId: string, chunk: number) => ({ documentId, chunk });

describe("fuseByDocument", () => {
  it("ranks each document where its best passage ranks, its other passages joining it", () => {
    const documents = fuseByDocument([
      passage("b", 4),
      passage("a", 1),
      passage("b", 2),
      passage("c", 7),
      passage("a", 3),
      passage("b", 9),
    ]);
    expect(documents.map((document) => document.documentId)).toEqual(["b", "a", "c"]);
    expect(documents[0]?.best).toEqual(passage("b", 4));
    expect(documents[0]?.passages.map((item) => item.chunk)).toEqual([4, 2, 9]);
    expect(documents[1]?.passages.map((item) => item.chunk)).toEqual([1, 3]);
  });

  it("does not add a document's passages up: many weak chunks never outrank one strong one", () => {
    const ranked = [
      passage("strong", 0),
      ...Array.from({ length: 20 }, (_, index) => passage("many", index)),
    ];
    expect(fuseByDocument(ranked).map((document) => document.documentId)).toEqual(["strong", "many"]);
  });

  it("returns nothing for nothing", () => {
    expect(fuseByDocument([])).toEqual([]);
  });
});
