/**
 * Ingests one file in a Folio in this process and prints `RSS_PROBE {json}` with this process's
 * peak resident memory: the ingest bench runs it as a child, so the figure is the ingest
 * process's own, not the bench's. `tsx scripts/bench/rss-probe.ts <file | --prepare>`
 *
 * With BENCH_DATA_DIR the Folio opens that data directory: the bench first runs `--prepare`
 * (create the database, then exit) so the measured run opens an existing database, as a server
 * does after its first start. Creating a PGlite database (initdb) leaves ~450 MB that only a
 * full garbage collection returns, which would otherwise dominate the figure.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { bytesOf } from "../../tests/support/test-runtime";
import { createBenchCollection, createBenchFolio, drainQueue, readParserChildPeakRssMb } from "./bench-folio";

const file = process.argv[2];
if (!file) throw new Error("usage: rss-probe.ts <file | --prepare>");
// The embedder the ingest bench chose (BENCH_EMBEDDING_MODEL), else the tests' tiny one.
const embeddingModel = process.env.BENCH_EMBEDDING_MODEL;
const dataDir = process.env.BENCH_DATA_DIR;
const folio = await createBenchFolio({
  ...(embeddingModel ? { EMBEDDING_MODEL: embeddingModel } : {}),
  ...(dataDir ? { DATA_DIR: dataDir } : {}),
});
if (file === "--prepare") {
  await folio.embeddingParts();
  await folio.close();
  process.exit(0);
}
try {
  const collectionId = await createBenchCollection(folio, "rss");
  const bytes = new Uint8Array(await readFile(file));
  const startedAt = performance.now();
  await folio.ingest.accept({ collectionId, fileName: path.basename(file), body: bytesOf(bytes) });
  let childPeakMb = 0;
  const sampler = setInterval(() => {
    void readParserChildPeakRssMb(folio).then((peak) => {
      childPeakMb = Math.max(childPeakMb, peak ?? 0);
    });
  }, 200);
  const results = await drainQueue(folio);
  clearInterval(sampler);
  const result = results[0];
  console.log(
    `RSS_PROBE ${JSON.stringify({
      state: result?.state,
      pages: result?.state === "succeeded" ? result.outcome.pageCount : null,
      chunks: result?.state === "succeeded" ? result.outcome.chunkCount : null,
      ms: Math.round(performance.now() - startedAt),
      ingestProcessPeakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      parserChildPeakRssMb: Math.round(childPeakMb),
    })}`,
  );
} finally {
  await folio.close();
}
