/**
 * Settings of the chunk table's vector index (ann-index.ts), apart from LanceDB itself so that
 * lib/config.ts can name them without loading the native module.
 */
export const annIndexTypes = ["ivf_pq", "ivf_hnsw_sq"] as const;
export type AnnIndexType = (typeof annIndexTypes)[number];

export interface AnnIndexPolicy {
  /**
   * `ivf_pq`: partitions of product-quantized vectors (small, fast to build). `ivf_hnsw_sq`: an HNSW
   * graph of scalar-quantized vectors per partition (higher recall per millisecond, slower to build,
   * ~4× the size). `off`: Folio builds none (one built by hand is left alone).
   * @default "ivf_pq"
   */
  indexType: AnnIndexType | "off";
  /** The vector index is first built when the table holds this many chunks. @default 50_000 */
  minRows: number;
  /** Trained afresh once the table holds this many times the chunks it was trained on. @default 2 */
  retrainGrowthFactor: number;
}

export interface AnnSearchSettings {
  /**
   * IVF partitions searched at least. LanceDB searches more (up to all) when the collection filter
   * leaves fewer than `limit` rows in them, so a filtered search never comes back short.
   * @default 20
   */
  nprobes: number;
  /**
   * Both index types store quantized vectors: the `limit × refineFactor` nearest by quantized
   * distance are re-ranked by their exact distance (recall, and exact scores); 0 keeps the
   * quantized order and scores.
   * @default 10
   */
  refineFactor: number;
  /**
   * HNSW: candidates kept while walking the graph, raised to `limit × refineFactor` when below
   * (LanceDB refuses fewer); 0 leaves LanceDB's default (1.5 × limit).
   * @default 64
   */
  ef: number;
}

export const defaultAnnIndexPolicy: AnnIndexPolicy = {
  indexType: "ivf_pq",
  minRows: 50_000,
  retrainGrowthFactor: 2,
};

export const defaultAnnSearchSettings: AnnSearchSettings = { nprobes: 20, refineFactor: 10, ef: 64 };
