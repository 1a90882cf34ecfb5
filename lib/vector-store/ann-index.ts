import * as lancedb from "@lancedb/lancedb";
import type { AnnIndexPolicy, AnnIndexType, AnnSearchSettings } from "./ann-settings";

/**
 * The approximate-nearest-neighbour (ANN) index Folio keeps on the chunk table's vectors, and the
 * scalar index on `collection_id` every search filters by (docs/search-at-scale.md). Below a few
 * tens of thousands of chunks a flat scan is fast and exact, so the vector index is built only once
 * the table passes `minRows`; the scheduled optimize adds new rows to it, and it is trained afresh
 * once the table has grown `retrainGrowthFactor` times past the rows it was trained on (its
 * partitions and codebooks were fitted to that much data).
 */

/** What the maintenance did, for the optimize log. */
export type SearchIndexChange =
  | { kind: "collection_index_built" }
  | {
      kind: "vector_index_built" | "vector_index_retrained";
      indexType: AnnIndexType;
      trainedRows: number;
      seconds: number;
    };

const vectorColumn = "vector";
const collectionColumn = "collection_id";
/** Folio's vector indexes are named by type and the rows they were trained on: `vector_ivf_pq_120000`. */
const folioVectorIndexName = /^vector_(ivf_pq|ivf_hnsw_sq)_(\d+)$/;

/**
 * Search settings for a vector query of `limit` rows; LanceDB ignores those of an index the table
 * does not have. HNSW refuses an `ef` below the candidates it must return (`limit`, times
 * `refineFactor` when re-ranking), so `ef` is raised to that.
 */
export function tuneVectorQuery(
  query: lancedb.VectorQuery,
  settings: AnnSearchSettings,
  limit: number,
): lancedb.VectorQuery {
  // maximumNprobes 0 lifts the cap (LanceDB's default caps it at nprobes, and a narrow filter then
  // returns fewer rows than asked for although the collection holds more). Set before the minimum,
  // which may not exceed the old cap.
  let tuned = query.maximumNprobes(0).minimumNprobes(settings.nprobes);
  if (settings.refineFactor > 0) tuned = tuned.refineFactor(settings.refineFactor);
  if (settings.ef > 0) tuned = tuned.ef(effectiveEf(settings, limit));
  return tuned;
}

/** The `ef` a query of `limit` rows is sent with. */
export function effectiveEf(settings: AnnSearchSettings, limit: number): number {
  return Math.max(settings.ef, limit * Math.max(1, settings.refineFactor));
}

/**
 * Builds the indexes the table lacks and retrains a vector index that has fallen behind, by the
 * policy. Call it under the chunk-table writer lock, after `optimize()` (which adds new rows to the
 * existing indexes). A retrained index is built under a new name before the old one is dropped, so
 * searches keep an index throughout.
 */
export async function maintainSearchIndexes(
  table: lancedb.Table,
  policy: AnnIndexPolicy,
): Promise<SearchIndexChange[]> {
  const changes: SearchIndexChange[] = [];
  const indices = await table.listIndices();
  if (!indices.some((index) => index.columns.includes(collectionColumn))) {
    // BTREE, not BITMAP: as fast for Folio's `IN (…)` filter, and fine for any number of collections.
    await table.createIndex(collectionColumn, { config: lancedb.Index.btree() });
    changes.push({ kind: "collection_index_built" });
  }
  if (policy.indexType === "off") return changes;

  const vectorIndices = indices.filter((index) => index.columns.includes(vectorColumn));
  const folioIndices = vectorIndices.flatMap((index) => {
    const match = folioVectorIndexName.exec(index.name);
    return match
      ? [{ name: index.name, indexType: match[1] as AnnIndexType, trainedRows: Number(match[2]) }]
      : [];
  });
  // A vector index someone built by hand is theirs to tune: Folio neither replaces nor retrains it.
  if (folioIndices.length < vectorIndices.length) return changes;

  const rows = await table.countRows();
  const current = folioIndices.sort((left, right) => right.trainedRows - left.trainedRows)[0];
  const isDue = current
    ? current.indexType !== policy.indexType || rows >= current.trainedRows * policy.retrainGrowthFactor
    : rows >= policy.minRows;
  if (!isDue || rows === 0) return changes;

  const startedMs = performance.now();
  const name = `vector_${policy.indexType}_${rows}`;
  const dims = await vectorDimsOf(table);
  await table.createIndex(vectorColumn, { name, config: vectorIndexConfig(policy.indexType, rows, dims) });
  for (const old of folioIndices) if (old.name !== name) await table.dropIndex(old.name);
  changes.push({
    kind: current ? "vector_index_retrained" : "vector_index_built",
    indexType: policy.indexType,
    trainedRows: rows,
    seconds: Math.round((performance.now() - startedMs) / 100) / 10,
  });
  return changes;
}

/**
 * Index parameters by LanceDB's tuning guide: IVF_PQ with ~4,096 rows per partition and
 * 8 dimensions per sub-vector (PQ needs the dimension divisible by the sub-vector count); HNSW one
 * graph per ~1M rows (each partition is its own graph), m 20, ef_construction 150.
 */
function vectorIndexParameters(indexType: AnnIndexType, rows: number, dims: number) {
  if (indexType === "ivf_pq") {
    return {
      numPartitions: Math.max(1, Math.round(rows / 4096)),
      numSubVectors: dims % 8 === 0 ? dims / 8 : 1,
    };
  }
  return { numPartitions: Math.max(1, Math.round(rows / 1_048_576)), m: 20, efConstruction: 150 };
}

/** The index `maintainSearchIndexes` builds; cosine, as every search measures. */
export function vectorIndexConfig(indexType: AnnIndexType, rows: number, dims: number): lancedb.Index {
  const parameters = vectorIndexParameters(indexType, rows, dims);
  return indexType === "ivf_pq"
    ? lancedb.Index.ivfPq({ distanceType: "cosine", ...parameters })
    : lancedb.Index.hnswSq({ distanceType: "cosine", ...parameters });
}

/** The build parameters, in words (for logs and benchmarks). */
export function describeVectorIndexConfig(indexType: AnnIndexType, rows: number, dims: number): string {
  const parameters = vectorIndexParameters(indexType, rows, dims);
  const partitions = `${parameters.numPartitions} partition${parameters.numPartitions === 1 ? "" : "s"}`;
  return "numSubVectors" in parameters
    ? `IVF_PQ, cosine, ${partitions}, ${parameters.numSubVectors} sub-vectors × 8 bits`
    : `IVF_HNSW_SQ, cosine, ${partitions}, m ${parameters.m}, ef_construction ${parameters.efConstruction}, 8-bit SQ`;
}

export function describeSearchIndexChange(change: SearchIndexChange): string {
  if (change.kind === "collection_index_built") return "built the collection_id index";
  const verb = change.kind === "vector_index_built" ? "built" : "retrained";
  return `${verb} the ${change.indexType} vector index on ${change.trainedRows} chunks in ${change.seconds} s`;
}

async function vectorDimsOf(table: lancedb.Table): Promise<number> {
  const field = (await table.schema()).fields.find((candidate) => candidate.name === vectorColumn);
  const listSize = (field?.type as { listSize?: unknown } | undefined)?.listSize;
  return typeof listSize === "number" ? listSize : 0;
}
