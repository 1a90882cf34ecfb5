import * as lancedb from "@lancedb/lancedb";
import { Field, FixedSizeList, Float32, Int32, Schema, Utf8 } from "apache-arrow";
import type { BoundingBox } from "../domain/geometry";
import { AppError } from "../errors";
import { maintainSearchIndexes, type SearchIndexChange, tuneVectorQuery } from "./ann-index";
import {
  type AnnIndexPolicy,
  type AnnSearchSettings,
  defaultAnnIndexPolicy,
  defaultAnnSearchSettings,
} from "./ann-settings";
import { ensureFullTextIndex, keepFullTextIndexCurrent } from "./full-text-index";
import {
  defaultFullTextSettings,
  type FullTextSettings,
  searchTextColumn,
  searchTextOf,
} from "./full-text-settings";
import { applyLanceEnvironment } from "./lance-environment";
import type { ChunkWithVector, SearchHit, SearchRequest, StoredChunk, VectorStore } from "./vector-store";

applyLanceEnvironment();

export interface LanceDbStoreOptions {
  /** A directory, or an object-store URI (`s3://…`) for several nodes. */
  uri: string;
  dims: number;
  /** @default "chunks" */
  tableName?: string;
  /**
   * How stale a read may be, in seconds: a read checks for commits by other processes (ingest
   * workers, another node) once this long has passed since the last check; 0 checks on every
   * read. Without it a table handle keeps the version it opened until the process restarts.
   * @default 1
   */
  readConsistencySeconds?: number;
  /** When `optimize` builds the vector index, and how searches use it (ann-index.ts). */
  ann?: { index?: AnnIndexPolicy; search?: AnnSearchSettings };
  /** How the full-text index tokenizes (FTS_LANGUAGE); a table indexed otherwise is re-indexed on open. @default English */
  fullText?: FullTextSettings;
}

export interface OptimizeOutcome {
  /** The table version after compaction. */
  tableVersion: number;
  fragmentsCompacted: number;
  versionsRemoved: number;
  bytesRemoved: number;
  /** Indexes built or retrained by this run. */
  searchIndexes: SearchIndexChange[];
}

/** Row layout in LanceDB (snake_case columns; the box as JSON text, empty when unknown). */
type ChunkRow = {
  id: string;
  collection_id: string;
  document_id: string;
  version_id: string;
  chunk_index: number;
  page_number: number;
  /** Empty when the page is named by its number. */
  page_label: string;
  box: string;
  kind: string;
  text: string;
  source: string;
  /** Null for text-layer text. */
  confidence: number | null;
  /** JSON array of strings. */
  heading_path: string;
  /** Empty when the chunk has no image. */
  figure_file: string;
  content_hash: string;
  embedder_id: string;
  /** Heading path and text: what full-text search matches (full-text-index.ts). */
  search_text: string;
  vector: number[] | Float32Array;
};

const chunkColumns = [
  "id",
  "collection_id",
  "document_id",
  "version_id",
  "chunk_index",
  "page_number",
  "box",
  "kind",
  "text",
  "source",
  "confidence",
  "heading_path",
  "figure_file",
  "page_label",
  "content_hash",
  "embedder_id",
] as const;

/** rank constant k of reciprocal rank fusion; 60 is the value of the original RRF paper. */
const rrfRankConstant = 60;

export class LanceDbStore implements VectorStore {
  private constructor(
    private readonly connection: lancedb.Connection,
    private readonly table: lancedb.Table,
    private readonly reranker: lancedb.rerankers.RRFReranker,
    readonly dims: number,
    private readonly ann: { index: AnnIndexPolicy; search: AnnSearchSettings },
    private readonly fullText: FullTextSettings,
  ) {}

  /** The vector size of an existing chunk table, or undefined when there is none yet. */
  static async existingDims(
    options: Pick<LanceDbStoreOptions, "uri" | "tableName">,
  ): Promise<number | undefined> {
    const connection = await lancedb.connect(options.uri);
    try {
      const tableName = options.tableName ?? "chunks";
      if (!(await connection.tableNames()).includes(tableName)) return undefined;
      const table = await connection.openTable(tableName);
      try {
        return await vectorDimsOf(table);
      } finally {
        table.close();
      }
    } finally {
      connection.close();
    }
  }

  static async create(options: LanceDbStoreOptions): Promise<LanceDbStore> {
    const connection = await lancedb.connect(options.uri, {
      readConsistencyInterval: options.readConsistencySeconds ?? 1,
    });
    const tableName = options.tableName ?? "chunks";
    const table = (await connection.tableNames()).includes(tableName)
      ? await connection.openTable(tableName)
      : await connection.createEmptyTable(tableName, chunkSchema(options.dims), {
          mode: "create",
          existOk: true,
        });
    await addProvenanceColumns(table);
    const existingDims = await vectorDimsOf(table);
    if (existingDims !== options.dims) {
      table.close();
      connection.close();
      throw new AppError("unavailable:embedding_dims_mismatch", {
        message:
          `The chunk table holds ${existingDims}-dimensional vectors but the embedding model makes ` +
          `${options.dims}. Re-index the documents or configure the embedding model they were indexed with.`,
      });
    }
    const fullText = options.fullText ?? defaultFullTextSettings;
    await ensureFullTextIndex(table, fullText);
    const reranker = await lancedb.rerankers.RRFReranker.create(rrfRankConstant);
    return new LanceDbStore(
      connection,
      table,
      reranker,
      options.dims,
      {
        index: options.ann?.index ?? defaultAnnIndexPolicy,
        search: options.ann?.search ?? defaultAnnSearchSettings,
      },
      fullText,
    );
  }

  async replaceDocumentChunks(input: {
    documentId: string;
    versionId: string;
    chunks: ChunkWithVector[];
    documentTitle?: string;
  }): Promise<{ tableVersion: number }> {
    for (const chunk of input.chunks) {
      if (chunk.documentId !== input.documentId || chunk.versionId !== input.versionId) {
        throw new AppError("internal:chunk_owner", {
          message: `Chunk ${chunk.id} does not belong to version ${input.versionId}`,
        });
      }
      if (chunk.vector.length !== this.dims) {
        throw new AppError("internal:embedding_dims_mismatch", {
          message: `Chunk ${chunk.id} has a ${chunk.vector.length}-dimensional vector; the table holds ${this.dims}.`,
        });
      }
    }
    const ofDocument = `document_id = ${sqlString(input.documentId)}`;
    if (input.chunks.length === 0) return { tableVersion: (await this.table.delete(ofDocument)).version };
    // One commit: rows with the same id are rewritten, new ones added, and the document's other
    // rows (older versions) deleted. A delete then an append would be two commits, and a reader
    // (or a crash) between them would find the document with no chunks at all.
    const merged = await this.table
      .mergeInsert("id")
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .whenNotMatchedBySourceDelete({ where: ofDocument })
      .execute(input.chunks.map((chunk) => toRow(chunk, input.documentTitle)));
    const isReindexed = await keepFullTextIndexCurrent(this.table, this.fullText);
    return { tableVersion: isReindexed ? await this.table.version() : merged.version };
  }

  async search(request: SearchRequest): Promise<SearchHit[]> {
    return this.readLatest(() => this.searchOnce(request));
  }

  /**
   * Runs a read, and once more on the newest table version if the version it read was cleaned
   * up meanwhile (its files removed by an erasing delete or a scheduled optimize in another
   * process, before this handle's read-consistency check moved on).
   */
  private async readLatest<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (!isMissingFileError(error)) throw error;
      await this.table.checkoutLatest();
      return read();
    }
  }

  private async searchOnce(request: SearchRequest): Promise<SearchHit[]> {
    if (request.collectionIds.length === 0 || request.limit <= 0) return [];
    if (request.queryVector.length !== this.dims) {
      throw new AppError("internal:embedding_dims_mismatch", {
        message: `The query vector has ${request.queryVector.length} dimensions; the table holds ${this.dims}.`,
      });
    }
    const filter = `collection_id IN (${request.collectionIds.map(sqlString).join(", ")})`;
    const mode = request.queryText.trim() === "" ? "vector" : (request.mode ?? "hybrid");
    const vector = Array.from(request.queryVector);
    let rows: Array<ChunkRow & Record<string, unknown>>;
    if (mode === "text") {
      rows = await this.table
        .query()
        .fullTextSearch(request.queryText, { columns: searchTextColumn })
        .where(filter)
        .select([...chunkColumns, "_score"])
        .limit(request.limit)
        .toArray();
      return rows.map((row) => ({ chunk: fromRow(row), score: Number(row._score) }));
    }
    const vectorQuery = tuneVectorQuery(
      this.table.query().nearestTo(vector).distanceType("cosine").where(filter).limit(request.limit),
      this.ann.search,
      request.limit,
    );
    if (mode === "vector") {
      rows = await vectorQuery.select([...chunkColumns, "_distance"]).toArray();
      return rows.map((row) => ({ chunk: fromRow(row), score: 1 - Number(row._distance) }));
    }
    // No select(): LanceDB 0.31 warns on projected hybrid queries (lancedb#3001); the
    // vectors of `limit` rows come back too, which costs little.
    rows = await vectorQuery
      .fullTextSearch(request.queryText, { columns: searchTextColumn })
      .rerank(this.reranker)
      .toArray();
    return rows.map((row) => ({ chunk: fromRow(row), score: Number(row._relevance_score) }));
  }

  async getChunks(input: {
    collectionIds: readonly string[];
    chunkIds: readonly string[];
  }): Promise<StoredChunk[]> {
    if (input.collectionIds.length === 0 || input.chunkIds.length === 0) return [];
    const filter =
      `collection_id IN (${input.collectionIds.map(sqlString).join(", ")}) AND ` +
      `id IN (${input.chunkIds.map(sqlString).join(", ")})`;
    const rows: ChunkRow[] = await this.readLatest(() =>
      this.table
        .query()
        .where(filter)
        .select([...chunkColumns])
        .toArray(),
    );
    return rows.map(fromRow);
  }

  async deleteDocument(documentId: string): Promise<void> {
    await this.table.delete(`document_id = ${sqlString(documentId)}`);
    await this.eraseDeletedRows();
  }

  async deleteCollection(collectionId: string): Promise<void> {
    await this.table.delete(`collection_id = ${sqlString(collectionId)}`);
    await this.eraseDeletedRows();
  }

  /**
   * A LanceDB delete only marks rows deleted: their text stays in the data files, and every older
   * table version still serves it. Compacting rewrites the files without them and removing the
   * older versions deletes the files that held them, so deleted text is gone from disk too.
   * (A search still running on an older version may then fail once; deletions are rare.)
   */
  private async eraseDeletedRows(): Promise<void> {
    await this.table.optimize({ cleanupOlderThan: new Date() });
  }

  /**
   * Maintenance (one writer at a time, like every write): compacts small and deletion-riddled
   * files, adds rows written since to the full-text, collection and vector indexes (they are found
   * before too, by a slower flat scan), and removes table versions — with the files only they use —
   * that stopped being the newest more than `keepVersionsMs` ago. A reader still on a version
   * younger than that keeps working; an older one retries on the newest (see `readLatest`). Then
   * builds the vector index once the table is large enough, or retrains it (ann-index.ts).
   */
  async optimize(input: { keepVersionsMs: number }): Promise<OptimizeOutcome> {
    const cleanupOlderThan = await this.oldestVersionToKeep(Date.now() - input.keepVersionsMs);
    const stats = await this.table.optimize({ cleanupOlderThan });
    const searchIndexes = await maintainSearchIndexes(this.table, this.ann.index);
    return {
      tableVersion: await this.table.version(),
      fragmentsCompacted: stats.compaction.fragmentsRemoved,
      versionsRemoved: stats.prune.oldVersionsRemoved,
      bytesRemoved: stats.prune.bytesRemoved,
      searchIndexes,
    };
  }

  /**
   * LanceDB removes versions *created* before the date it is given; the version that was newest
   * at `boundaryMs` may have been created long before and still be in use. The date returned is
   * that version's creation (less a millisecond: timestamps are truncated), so it is kept.
   */
  private async oldestVersionToKeep(boundaryMs: number): Promise<Date> {
    const versions = (await this.table.listVersions()).sort((a, b) => a.version - b.version);
    const createdBefore = versions.filter((version) => version.timestamp.getTime() <= boundaryMs);
    const keptFrom = createdBefore.at(-1) ?? versions[0];
    return new Date((keptFrom?.timestamp.getTime() ?? boundaryMs) - 1);
  }

  async countChunks(filter?: { versionId?: string; documentId?: string }): Promise<number> {
    const where = filter?.versionId
      ? `version_id = ${sqlString(filter.versionId)}`
      : filter?.documentId
        ? `document_id = ${sqlString(filter.documentId)}`
        : undefined;
    return this.readLatest(() => (where ? this.table.countRows(where) : this.table.countRows()));
  }

  async close(): Promise<void> {
    this.table.close();
    this.connection.close();
  }
}

/** LanceDB reports a data file removed under a reader as an IO "not found" error. */
function isMissingFileError(error: unknown): boolean {
  return (
    error instanceof Error && /not found/i.test(error.message) && /\.lance\b|No such file/.test(error.message)
  );
}

function chunkSchema(dims: number): Schema {
  const text = (name: string) => new Field(name, new Utf8(), false);
  const integer = (name: string) => new Field(name, new Int32(), false);
  return new Schema([
    text("id"),
    text("collection_id"),
    text("document_id"),
    text("version_id"),
    integer("chunk_index"),
    integer("page_number"),
    text("box"),
    text("kind"),
    text("text"),
    text("source"),
    new Field("confidence", new Float32(), true),
    text("heading_path"),
    text("figure_file"),
    text("content_hash"),
    text("embedder_id"),
    new Field("vector", new FixedSizeList(dims, new Field("item", new Float32(), true)), false),
    // Last, where tables written before it got it (ensureFullTextIndex).
    text(searchTextColumn),
    text("page_label"),
  ]);
}

/**
 * Tables written before chunks carried their source, OCR confidence, heading path, figure and
 * page label get those columns with the values that were true of every chunk then.
 */
async function addProvenanceColumns(table: lancedb.Table): Promise<void> {
  const names = new Set((await table.schema()).fields.map((field) => field.name));
  const missing = [
    { name: "source", valueSql: "'text_layer'" },
    { name: "confidence", valueSql: "CAST(NULL AS FLOAT)" },
    { name: "heading_path", valueSql: "'[]'" },
    { name: "figure_file", valueSql: "''" },
    { name: "page_label", valueSql: "''" },
  ].filter((column) => !names.has(column.name));
  if (missing.length > 0) await table.addColumns(missing);
}

async function vectorDimsOf(table: lancedb.Table): Promise<number> {
  const schema = await table.schema();
  // Duck-typed: the schema may come from LanceDB's own copy of apache-arrow, so instanceof fails.
  const vectorType = schema.fields.find((field) => field.name === "vector")?.type as
    | { listSize?: unknown }
    | undefined;
  return typeof vectorType?.listSize === "number" ? vectorType.listSize : -1;
}

/**
 * Only identifiers Folio generated itself ever reach a filter: UUIDs and hex chunk ids. Anything
 * else is refused rather than escaped, so user input can never shape a `where` clause.
 */
const safeIdentifier = /^[0-9a-f-]{1,64}$/i;

function sqlString(value: string): string {
  if (!safeIdentifier.test(value)) {
    throw new AppError("invalid:identifier", {
      message: "Malformed identifier",
    });
  }
  return `'${value}'`;
}

/** A chunk as the table stores it (exported for the search benchmark's bulk writes). */
export function toRow(chunk: ChunkWithVector, documentTitle?: string): ChunkRow {
  return {
    id: chunk.id,
    collection_id: chunk.collectionId,
    document_id: chunk.documentId,
    version_id: chunk.versionId,
    chunk_index: chunk.chunkIndex,
    page_number: chunk.pageNumber,
    page_label: chunk.pageLabel ?? "",
    box: chunk.box ? JSON.stringify(chunk.box) : "",
    kind: chunk.kind,
    text: chunk.text,
    source: chunk.source,
    confidence: chunk.confidence,
    heading_path: JSON.stringify(chunk.headingPath),
    figure_file: chunk.figureFile ?? "",
    content_hash: chunk.contentHash,
    embedder_id: chunk.embedderId,
    search_text: searchTextOf(chunk, documentTitle),
    vector: Array.from(chunk.vector),
  };
}

function fromRow(row: ChunkRow): StoredChunk {
  return {
    id: row.id,
    collectionId: row.collection_id,
    documentId: row.document_id,
    versionId: row.version_id,
    chunkIndex: row.chunk_index,
    pageNumber: row.page_number,
    pageLabel: row.page_label || null,
    box: row.box ? (JSON.parse(row.box) as BoundingBox) : null,
    kind: row.kind as StoredChunk["kind"],
    text: row.text,
    source: row.source === "ocr" ? "ocr" : "text_layer",
    confidence: typeof row.confidence === "number" && Number.isFinite(row.confidence) ? row.confidence : null,
    headingPath: parseHeadingPath(row.heading_path),
    figureFile: row.figure_file || null,
    contentHash: row.content_hash,
    embedderId: row.embedder_id,
  };
}

function parseHeadingPath(value: string): string[] {
  try {
    const parsed: unknown = JSON.parse(value || "[]");
    return Array.isArray(parsed) ? parsed.filter((entry): entry is string => typeof entry === "string") : [];
  } catch {
    return [];
  }
}
