import type { Embedder } from "../../lib/embeddings/embedder";
import { BlobStore, type StagedBlob } from "../../lib/storage/blob-store";
import type { LanceDbStore } from "../../lib/vector-store/lancedb-store";
import type { VectorStore } from "../../lib/vector-store/vector-store";

/**
 * A point where a test can hold the code under test: after `arm()`, the next call that passes
 * the gate stops there until `release()`. `arm()` resolves once that call has arrived, so the
 * test knows exactly where the other side is while it acts.
 */
export interface Gate {
  arm(): Promise<void>;
  release(): void;
  /** Called by the instrumented part; returns at once unless the gate is armed. */
  pass(): Promise<void>;
}

export function createGate(): Gate {
  let onArrival: (() => void) | undefined;
  let onRelease: (() => void) | undefined;
  return {
    arm: () =>
      new Promise<void>((arrived) => {
        onArrival = arrived;
      }),
    release: () => {
      onRelease?.();
      onRelease = undefined;
    },
    pass: async () => {
      const arrived = onArrival;
      if (!arrived) return;
      onArrival = undefined;
      const released = new Promise<void>((resolve) => {
        onRelease = resolve;
      });
      arrived();
      await released;
    },
  };
}

/** The real embedder, holding document embedding (between extract and index) at `gate`. */
export function gatedEmbedder(inner: Embedder, gate: Gate): Embedder {
  return {
    id: inner.id,
    dims: inner.dims,
    maxInputTokens: inner.maxInputTokens,
    countTokens: (text) => inner.countTokens(text),
    embed: async (texts, kind) => {
      if (kind === "document") await gate.pass();
      return inner.embed(texts, kind);
    },
    dispose: () => inner.dispose(),
  };
}

/**
 * The real LanceDB store, holding each index write at `gate` (the pipeline calls it inside the
 * chunk-table writer lock). Keeps `countChunks` so tests can count rows.
 */
export function gatedStore(inner: LanceDbStore, gate: Gate): VectorStore & Pick<LanceDbStore, "countChunks"> {
  return {
    dims: inner.dims,
    replaceDocumentChunks: async (input) => {
      await gate.pass();
      return inner.replaceDocumentChunks(input);
    },
    search: (request) => inner.search(request),
    getChunks: (input) => inner.getChunks(input),
    deleteDocument: (documentId) => inner.deleteDocument(documentId),
    deleteCollection: (collectionId) => inner.deleteCollection(collectionId),
    countChunks: (filter) => inner.countChunks(filter),
    close: () => inner.close(),
  };
}

/**
 * The real blob store, holding each upload just before its staged bytes move to their content
 * address (the step that must not race a deletion of the last reference to the same bytes).
 */
export class GatedCommitBlobStore extends BlobStore {
  constructor(
    root: string,
    private readonly gate: Gate,
  ) {
    super(root);
  }

  override async stage(...args: Parameters<BlobStore["stage"]>): Promise<StagedBlob> {
    const staged = await super.stage(...args);
    return {
      ...staged,
      commit: async () => {
        await this.gate.pass();
        await staged.commit();
      },
    };
  }
}
