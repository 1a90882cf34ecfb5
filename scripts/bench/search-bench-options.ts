import type { SearchBenchOptions } from "./search-bench";

export const searchBenchOptionNames = [
  "sizes",
  "dims",
  "queries",
  "collections",
  "share",
  "ivf-pq",
  "hnsw",
] as const;

export const searchBenchUsage =
  "  search: [--sizes 100000,1000000] [--dims 384] [--queries 100] [--collections 100] [--share 0.1]" +
  " [--ivf-pq nprobes:refine,…] [--hnsw ef:refine,…] (tables cached in bench-data/search)";

/** `--name value` options → the benchmark's options, or the problem with them. */
export function parseSearchBenchOptions(
  given: ReadonlyMap<string, string>,
  paths: { corpusDir: string; cacheDir: string },
): SearchBenchOptions | { problem: string } {
  const integers = (name: string, fallback: string) => (given.get(name) ?? fallback).split(",").map(Number);
  const isPositive = (values: number[]) =>
    values.length > 0 && values.every((value) => Number.isInteger(value) && value > 0);
  const pairs = (name: string, fallback: string) =>
    (given.get(name) ?? fallback).split(",").map((pair) => pair.split(":").map(Number) as [number, number]);
  const sizes = integers("sizes", "100000,1000000");
  const [dims = 0] = integers("dims", "384");
  const [queries = 0] = integers("queries", "100");
  const [collections = 0] = integers("collections", "100");
  const share = Number(given.get("share") ?? 0.1);
  const ivfPq = pairs("ivf-pq", "10:0,20:5,20:10,50:10");
  const hnsw = pairs("hnsw", "16:0,64:0,64:5");
  if (!isPositive(sizes) || sizes.some((size) => size < 2000))
    return { problem: "--sizes takes chunk counts ≥ 2000, e.g. 100000,1000000" };
  if (!isPositive([dims, queries, collections]))
    return { problem: "--dims, --queries and --collections take positive integers" };
  if (!(share > 0 && share <= 1)) return { problem: "--share takes a fraction in (0, 1]" };
  const isPairList = (list: [number, number][]) =>
    list.every((pair) => pair.length === 2 && pair[0] >= 1 && pair[1] >= 0 && pair.every(Number.isInteger));
  if (!isPairList(ivfPq)) return { problem: "--ivf-pq takes nprobes:refine pairs, e.g. 20:0,20:5" };
  if (!isPairList(hnsw)) return { problem: "--hnsw takes ef:refine pairs, e.g. 16:0,64:0" };
  return {
    sizes,
    dims,
    queries,
    collections,
    share,
    ivfPq: ivfPq.map(([nprobes, refineFactor]) => ({ nprobes, refineFactor })),
    hnsw: hnsw.map(([ef, refineFactor]) => ({ ef, refineFactor })),
    ...paths,
  };
}
