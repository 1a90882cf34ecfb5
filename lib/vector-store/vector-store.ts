import type { BoundingBox } from "../domain/geometry";

/** What a chunk is: running text, a table (as Markdown) or a figure (its caption and text, linked to its image). */
export type ChunkKind = "text" | "table" | "figure";

/** Where a chunk's text was read: the document's own text, or OCR of its pixels. */
export type ChunkSource = "text_layer" | "ocr";

/** A searchable piece of one document version, with the provenance a citation needs. */
export interface StoredChunk {
  /** Deterministic: H(versionId, chunkIndex), so re-running a job rewrites the same ids. */
  id: string;
  collectionId: string;
  documentId: string;
  versionId: string;
  chunkIndex: number;
  /** 1-based. */
  pageNumber: number;
  /**
   * What a citation calls the page when its number is not how the document names it ("Slide 3",
   * "Sheet: Revenue", a section heading of a text document); null for PDF and image pages.
   */
  pageLabel: string | null;
  /** Where on the page the text lies (top-left origin, PDF points), or null when unknown. */
  box: BoundingBox | null;
  kind: ChunkKind;
  text: string;
  source: ChunkSource;
  /** Mean OCR confidence in [0, 1]; null for text-layer text. */
  confidence: number | null;
  /** Headings above the chunk, outermost first (also embedded with the text). */
  headingPath: string[];
  /** Figure chunks: the image's file name among the version's derived files; else null. */
  figureFile: string | null;
  /** sha256 of `text`: what the audit trail records for every chunk shown to the model. */
  contentHash: string;
  embedderId: string;
}

export interface ChunkWithVector extends StoredChunk {
  vector: Float32Array;
}

export type SearchMode = "hybrid" | "vector" | "text";

export interface SearchRequest {
  /** Required and never empty for a real search: there is no "search everything" path. */
  collectionIds: readonly string[];
  queryText: string;
  queryVector: Float32Array;
  limit: number;
  /** @default "hybrid" — vector + full-text, fused by reciprocal rank. */
  mode?: SearchMode;
}

export interface SearchHit {
  chunk: StoredChunk;
  /** Higher is better; comparable only within one result list. */
  score: number;
}

/**
 * Chunk storage with vector and full-text search. One writer per table at a time (callers hold
 * the chunk-table writer lock, db/queries/locks.ts); any number of readers, in any process, which
 * see other processes' commits within a bounded delay.
 */
export interface VectorStore {
  readonly dims: number;
  /**
   * Makes `chunks` the document's searchable content, removing its chunks of every other version,
   * atomically: a reader sees the old chunks or the new ones, never none. Idempotent. Returns the
   * table version after the write.
   */
  replaceDocumentChunks(input: {
    documentId: string;
    versionId: string;
    chunks: ChunkWithVector[];
    /** The document's title: full-text search matches it with every chunk. @default none */
    documentTitle?: string;
  }): Promise<{ tableVersion: number }>;
  search(request: SearchRequest): Promise<SearchHit[]>;
  /** Chunks by id, restricted to the given collections; unknown or unreadable ids are absent. */
  getChunks(input: { collectionIds: readonly string[]; chunkIds: readonly string[] }): Promise<StoredChunk[]>;
  deleteDocument(documentId: string): Promise<void>;
  /** Removes every chunk of every document in the collection, in one commit. */
  deleteCollection(collectionId: string): Promise<void>;
  close(): Promise<void>;
}
