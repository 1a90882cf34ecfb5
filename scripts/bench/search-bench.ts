import { cpus, loadavg } from "node:os";
import * as lancedb from "@lancedb/lancedb";
import { describeVectorIndexConfig, effectiveEf } from "../../lib/vector-store/ann-index";
import {
  type AnnIndexType,
  type AnnSearchSettings,
  defaultAnnIndexPolicy,
  defaultAnnSearchSettings,
} from "../../lib/vector-store/ann-settings";
import { LanceDbStore } from "../../lib/vector-store/lancedb-store";
import type { SearchMode } from "../../lib/vector-store/vector-store";
import { type BenchReportContent, writeBenchReport } from "./bench-report";
import {
  createRandom,
  perturb,
  prepareIndexedTable,
  prepareSearchBenchData,
  type SearchBenchData,
  seed,
} from "./search-bench-data";
import { computePercentile, roundTo } from "./statistics";
import { printTable, type TableCell } from "./table";

/**
 * `npm run bench -- search`: p50/p95 of filtered hybrid (and vector) search through Folio's
 * LanceDbStore on synthetic tables of 100k and 1M chunks, with a flat scan and with IVF_PQ and
 * HNSW indexes at several search settings; recall@10 of each against the flat (exact) result; and
 * the same queries sent to LanceDB directly with the same parameters, in the same run.
 */
export interface SearchBenchOptions {
  sizes: number[];
  dims: number;
  queries: number;
  collections: number;
  /** The share of the chunks a broad filter selects (its collections added until reached). */
  share: number;
  ivfPq: Array<Pick<AnnSearchSettings, "nprobes" | "refineFactor">>;
  hnsw: Array<Pick<AnnSearchSettings, "ef" | "refineFactor">>;
  corpusDir: string;
  cacheDir: string;
}

type IndexKind = "flat" | AnnIndexType;
const filterShapes = ["broad", "narrow"] as const;
type FilterShape = (typeof filterShapes)[number];
const limit = 10;
const warmupQueries = 5;
/** p95 of filtered hybrid search, by table size (issue 10). */
const latencyGoalsMs = new Map([
  [100_000, 50],
  [1_000_000, 150],
]);

interface Setting {
  index: IndexKind;
  search: AnnSearchSettings;
  /** Search parameters in words. */
  params: string;
  isDefault: boolean;
}

interface BenchQuery {
  vector: Float32Array;
  text: string;
  collectionIds: string[];
  share: number;
}

interface Samples {
  folio: Record<SearchMode, number[]>;
  raw: Record<SearchMode, number[]>;
  recall: Record<SearchMode, number[]>;
  /** Searches that returned fewer than `limit` hits although the flat search found `limit`. */
  short: number;
}

function describeSettings(options: SearchBenchOptions): Setting[] {
  const defaults = defaultAnnSearchSettings;
  const isDefault = (index: IndexKind, search: AnnSearchSettings) =>
    index === defaultAnnIndexPolicy.indexType &&
    search.nprobes === defaults.nprobes &&
    search.refineFactor === defaults.refineFactor &&
    search.ef === defaults.ef;
  // Each list varies its index's own parameters; the others stay at Folio's defaults.
  const ivfPq = options.ivfPq.map((tuning) => ({ ...defaults, ...tuning }));
  const hnsw = options.hnsw.map((tuning) => ({ ...defaults, ...tuning }));
  // Folio's defaults are always measured, whatever the lists say.
  if (defaultAnnIndexPolicy.indexType === "ivf_pq" && !ivfPq.some((search) => isDefault("ivf_pq", search)))
    ivfPq.push(defaults);
  if (
    defaultAnnIndexPolicy.indexType === "ivf_hnsw_sq" &&
    !hnsw.some((search) => isDefault("ivf_hnsw_sq", search))
  )
    hnsw.push(defaults);
  return [
    { index: "flat", search: defaultAnnSearchSettings, params: "exact scan", isDefault: false },
    ...ivfPq.map((search) => ({
      index: "ivf_pq" as const,
      search,
      params: `nprobes ${search.nprobes}, refine ${search.refineFactor}`,
      isDefault: isDefault("ivf_pq", search),
    })),
    ...hnsw.map((search) => ({
      index: "ivf_hnsw_sq" as const,
      search,
      params: `ef ${search.ef}, refine ${search.refineFactor}`,
      isDefault: isDefault("ivf_hnsw_sq", search),
    })),
  ];
}

/** How far a query lies from the chunk it was drawn from (cosine ~0.86 to it). */
const queryNoise = 0.6;

/**
 * Queries as users ask them: a broad filter (the collections a user may read, ~`share` of the
 * chunks) or a narrow one (one collection); the vector near a chunk of those collections (the
 * passage the question is about) and a real question as text.
 */
async function makeQueries(
  data: SearchBenchData,
  table: lancedb.Table,
  shape: FilterShape,
  count: number,
  share: number,
): Promise<BenchQuery[]> {
  const random = createRandom(seed + (shape === "broad" ? 10 : 11));
  const pickIndex = (length: number) => Math.floor(random() * length);
  const candidates = data.collectionRows.flatMap((rows, index) => (rows >= limit ? [index] : []));
  const queries: BenchQuery[] = [];
  for (let index = 0; index < count; index += 1) {
    const chosen: number[] = [];
    if (shape === "narrow") chosen.push(candidates[pickIndex(candidates.length)] ?? 0);
    else {
      const order = data.collectionIds.map((_, collection) => collection).sort(() => random() - 0.5);
      let rows = 0;
      for (const collection of order) {
        if (rows / data.rows >= share) break;
        chosen.push(collection);
        rows += data.collectionRows[collection] ?? 0;
      }
    }
    const collectionIds = chosen.map((collection) => data.collectionIds[collection] ?? "");
    const rows = chosen.reduce((sum, collection) => sum + (data.collectionRows[collection] ?? 0), 0);
    const [source] = await table
      .query()
      .where(`collection_id IN (${collectionIds.map((id) => `'${id}'`).join(", ")})`)
      .select(["vector"])
      .offset(pickIndex(rows))
      .limit(1)
      .toArray();
    queries.push({
      vector: perturb(Float32Array.from(source.vector as Iterable<number>), queryNoise, random),
      text: data.queryTexts[pickIndex(data.queryTexts.length)] ?? "",
      collectionIds,
      share: rows / data.rows,
    });
  }
  return queries;
}

/**
 * The same query written against LanceDB's API directly: the same parameters (which LanceDB
 * ignores without an index), the same columns, the same fusion.
 */
async function rawSearcher(table: lancedb.Table, reranker: lancedb.rerankers.RRFReranker) {
  const indices = await table.listIndices();
  const ftsColumn =
    indices.find((index) => index.indexType.toUpperCase().includes("FTS"))?.columns[0] ?? "text";
  const columns = (await table.schema()).fields
    .map((field) => field.name)
    .filter((name) => name !== "vector");
  return async (search: AnnSearchSettings, query: BenchQuery, mode: SearchMode): Promise<string[]> => {
    let vectorQuery = table
      .query()
      .nearestTo(Array.from(query.vector))
      .distanceType("cosine")
      .where(`collection_id IN (${query.collectionIds.map((id) => `'${id}'`).join(", ")})`)
      .limit(limit)
      .maximumNprobes(0)
      .minimumNprobes(search.nprobes);
    if (search.refineFactor > 0) vectorQuery = vectorQuery.refineFactor(search.refineFactor);
    if (search.ef > 0) vectorQuery = vectorQuery.ef(effectiveEf(search, limit));
    const rows =
      mode === "vector"
        ? await vectorQuery.select([...columns, "_distance"]).toArray()
        : await vectorQuery.fullTextSearch(query.text, { columns: ftsColumn }).rerank(reranker).toArray();
    return rows.map((row: { id: string }) => row.id);
  };
}
type RawSearch = Awaited<ReturnType<typeof rawSearcher>>;

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

function recallOf(found: readonly string[], exact: readonly string[]): number {
  if (exact.length === 0) return 1;
  const expected = new Set(exact);
  return found.filter((id) => expected.has(id)).length / exact.length;
}

async function measureSize(
  options: SearchBenchOptions,
  rows: number,
  settings: Setting[],
): Promise<{
  data: SearchBenchData;
  results: Map<string, Samples>;
  builds: Map<IndexKind, number>;
  /** The 1-minute load average when measuring began and ended (other processes share the cores). */
  loadAverages: [number, number];
}> {
  const data = await prepareSearchBenchData({
    rows,
    dims: options.dims,
    collections: options.collections,
    corpusDir: options.corpusDir,
    cacheDir: options.cacheDir,
  });
  const tableNames = new Map<IndexKind, string>([["flat", data.tableName]]);
  const builds = new Map<IndexKind, number>();
  for (const index of new Set(settings.map((setting) => setting.index))) {
    if (index === "flat") continue;
    const built = await prepareIndexedTable(data, index);
    tableNames.set(index, built.tableName);
    builds.set(index, built.buildSeconds);
  }

  const connection = await lancedb.connect(data.uri);
  const reranker = await lancedb.rerankers.RRFReranker.create(60);
  const stores = new Map<Setting, LanceDbStore>();
  const raws = new Map<Setting, RawSearch>();
  const baseTable = await connection.openTable(data.tableName);
  const rawTables: lancedb.Table[] = [baseTable];
  for (const setting of settings) {
    const tableName = tableNames.get(setting.index) ?? data.tableName;
    stores.set(
      setting,
      await LanceDbStore.create({
        uri: data.uri,
        dims: data.dims,
        tableName,
        ann: { index: { ...defaultAnnIndexPolicy, indexType: "off" }, search: setting.search },
      }),
    );
    const table = await connection.openTable(tableName);
    rawTables.push(table);
    raws.set(setting, await rawSearcher(table, reranker));
  }

  const results = new Map<string, Samples>();
  const modes: SearchMode[] = ["vector", "hybrid"];
  const loadAtStart = loadavg()[0] ?? 0;
  for (const shape of filterShapes) {
    const queries = await makeQueries(data, baseTable, shape, options.queries + warmupQueries, options.share);
    const meanShare = queries.reduce((sum, query) => sum + query.share, 0) / queries.length;
    console.log(
      `[search] ${rows.toLocaleString("en-US")} chunks, ${shape} filter (${(meanShare * 100).toFixed(1)}% of chunks on average): ${options.queries} queries × ${settings.length} settings`,
    );
    for (const setting of settings) {
      results.set(key(setting, shape), {
        folio: { vector: [], hybrid: [], text: [] },
        raw: { vector: [], hybrid: [], text: [] },
        recall: { vector: [], hybrid: [], text: [] },
        short: 0,
      });
    }
    for (const [queryIndex, query] of queries.entries()) {
      const isWarmup = queryIndex < warmupQueries;
      const exact = new Map<SearchMode, string[]>();
      // Round robin over the settings per query: noise from other processes falls on all alike.
      for (const setting of settings) {
        const samples = results.get(key(setting, shape)) as Samples;
        const store = stores.get(setting) as LanceDbStore;
        const raw = raws.get(setting) as RawSearch;
        for (const mode of modes) {
          const folio = await timed(() =>
            store.search({
              collectionIds: query.collectionIds,
              queryText: query.text,
              queryVector: query.vector,
              limit,
              mode,
            }),
          );
          const reference = await timed(() => raw(setting.search, query, mode));
          const ids = folio.value.map((hit) => hit.chunk.id);
          if (setting.index === "flat") exact.set(mode, ids);
          if (isWarmup) continue;
          samples.folio[mode].push(folio.ms);
          samples.raw[mode].push(reference.ms);
          const exactIds = exact.get(mode) ?? ids;
          samples.recall[mode].push(recallOf(ids, exactIds));
          if (ids.length < Math.min(limit, exactIds.length)) samples.short += 1;
        }
      }
      if ((queryIndex + 1) % 25 === 0)
        console.log(`[search]   ${queryIndex + 1 - warmupQueries} / ${options.queries}`);
    }
  }
  for (const store of stores.values()) await store.close();
  for (const table of rawTables) table.close();
  connection.close();
  return { data, results, builds, loadAverages: [loadAtStart, loadavg()[0] ?? 0] };
}

const key = (setting: Setting, shape: FilterShape) => `${setting.index}|${setting.params}|${shape}`;
const percentile = (samples: number[], fraction: number) => roundTo(computePercentile(samples, fraction), 1);
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
const indexLabels: Record<IndexKind, string> = { flat: "flat", ivf_pq: "IVF_PQ", ivf_hnsw_sq: "IVF_HNSW_SQ" };

export async function runSearchBench(options: SearchBenchOptions): Promise<Record<string, unknown>> {
  const settings = describeSettings(options);
  const columnsOut = [
    "chunks",
    "index",
    "search settings",
    "filter",
    "hybrid p50 ms",
    "hybrid p95 ms",
    "raw hybrid p95 ms",
    "vector p50 ms",
    "vector p95 ms",
    "raw vector p95 ms",
    "recall@10 vector",
    "recall@10 hybrid",
    "short",
  ];
  const rows: TableCell[][] = [];
  const goals: NonNullable<BenchReportContent["goals"]> = [];
  const charts: NonNullable<BenchReportContent["charts"]> = [];
  const notes: string[] = [];
  const summary: Record<string, unknown> = {};
  for (const size of options.sizes) {
    const { data, results, builds, loadAverages } = await measureSize(options, size, settings);
    for (const shape of filterShapes) {
      for (const setting of settings) {
        const samples = results.get(key(setting, shape)) as Samples;
        rows.push([
          size,
          indexLabels[setting.index],
          `${setting.params}${setting.isDefault ? " (Folio default)" : ""}`,
          shape,
          percentile(samples.folio.hybrid, 0.5),
          percentile(samples.folio.hybrid, 0.95),
          percentile(samples.raw.hybrid, 0.95),
          percentile(samples.folio.vector, 0.5),
          percentile(samples.folio.vector, 0.95),
          percentile(samples.raw.vector, 0.95),
          roundTo(mean(samples.recall.vector), 3),
          roundTo(mean(samples.recall.hybrid), 3),
          samples.short,
        ]);
      }
    }
    // What a Folio install does at this size by default: flat below LANCEDB_ANN_MIN_ROWS.
    const defaultSetting =
      size >= defaultAnnIndexPolicy.minRows ? settings.find((setting) => setting.isDefault) : settings[0];
    const goalMs = latencyGoalsMs.get(size);
    if (defaultSetting && goalMs !== undefined) {
      const p95 = Math.max(
        ...filterShapes.map((shape) =>
          computePercentile((results.get(key(defaultSetting, shape)) as Samples).folio.hybrid, 0.95),
        ),
      );
      goals.push({
        goal: `filtered hybrid search p95 ≤ ${goalMs} ms at ${size.toLocaleString("en-US")} chunks (Folio's defaults)`,
        measured: `${roundTo(p95, 1)} ms (${indexLabels[defaultSetting.index]}, ${defaultSetting.params})`,
        met: p95 <= goalMs,
      });
    }
    const broad = (setting: Setting) => results.get(key(setting, "broad")) as Samples;
    charts.push({
      kind: "scatter",
      title: `${size.toLocaleString("en-US")} chunks: recall@10 against p95 of filtered hybrid search`,
      xLabel: "p95 of filtered hybrid search (ms), broad filter",
      yLabel: "recall@10 of the vector search",
      series: (["flat", "ivf_pq", "ivf_hnsw_sq"] as const).map((index) => ({
        label: indexLabels[index],
        reference: index === "flat",
        points: settings
          .filter((setting) => setting.index === index)
          .map((setting) => ({
            x: computePercentile(broad(setting).folio.hybrid, 0.95),
            y: mean(broad(setting).recall.vector),
            label:
              setting.index === "flat"
                ? "exact"
                : setting.params.replace("nprobes ", "np ").replace("refine ", "rf "),
          })),
      })),
    });
    for (const [index, seconds] of builds) {
      notes.push(
        `${size.toLocaleString("en-US")} chunks: ${describeVectorIndexConfig(index as AnnIndexType, data.rows, data.dims)}; built by Folio's optimize in ${seconds} s.`,
      );
    }
    notes.push(
      `${size.toLocaleString("en-US")} chunks: measured at a 1-minute load average of ${loadAverages.map((load) => load.toFixed(1)).join(" → ")} on ${cpus().length} cores.`,
      `${size.toLocaleString("en-US")} chunks: ${data.dims} dimensions, ${data.topics} topics, ${data.collectionIds.length} collections (${Math.max(...data.collectionRows).toLocaleString("en-US")} to ${Math.min(...data.collectionRows).toLocaleString("en-US")} chunks); text: ${data.textSource}.`,
    );
    summary[String(size)] = Object.fromEntries(
      [...results].map(([name, samples]) => [
        name,
        {
          hybridP95Ms: percentile(samples.folio.hybrid, 0.95),
          vectorP95Ms: percentile(samples.folio.vector, 0.95),
          recallVector: roundTo(mean(samples.recall.vector), 3),
        },
      ]),
    );
  }
  printTable(
    "Search at scale (ms; recall@10 against the flat scan; short: results cut below 10)",
    columnsOut,
    rows,
  );
  notes.push(
    `broad filter: the collections a user may read, added at random until ≥ ${Math.round(options.share * 100)}% of the chunks; narrow: one collection of ≥ 10 chunks. ${options.queries} queries per filter, limit 10, one at a time, after ${warmupQueries} warm-up queries; p50/p95 over all of them.`,
    "Vectors: topics (random unit vectors) → documents → sections of 3–8 chunks → chunks, each a random offset from the level above (cosine ≈ 0.94 within a section, ≈ 0.8 within a document, ≈ 0.5 within a topic, ≈ 0 across); a collection draws 80% of its documents from its own topics. Queries: a chunk of the filtered collections moved by a random offset (cosine ≈ 0.86 to it), with a SciFact claim or FinanceBench question as text.",
    "raw: the same query and parameters sent to LanceDB directly (same tables, same run); Folio's difference is building the filter and turning rows into chunks.",
  );
  await writeBenchReport({
    name: "search",
    title: `Search at scale: filtered hybrid search over ${options.sizes.map((size) => size.toLocaleString("en-US")).join(" and ")} chunks`,
    reference:
      "raw LanceDB queries with the same parameters on the same tables; recall against Folio's flat (exact) search",
    columns: columnsOut,
    rows,
    goals,
    charts,
    notes,
  });
  return summary;
}
