/**
 * Settings of LanceDB's native library that Folio needs, made before it first reads them (lazily,
 * at first use); a value the operator set in the environment is kept.
 *
 * LANCE_FTS_WRITE_QUEUE_SIZE: LanceDB 0.31 (lance 8) writes a full-text index partition by handing
 * posting-list batches from a producer that *blocks* a CPU-pool thread to a writer that needs the
 * same pool, through a queue of one batch. On a 2-core machine, adding tens of thousands of chunks
 * at once to an index that covers some already (the scheduled optimize after a large upload)
 * deadlocks for good, at 0% CPU — with the chunk-table writer lock held, so ingest stops too. A queue longer than any partition's batch
 * count (256 posting lists each: 65,536 batches is 16M distinct words) never blocks the producer;
 * it costs ~4 MB while a partition is written. Newer lance yields instead of blocking.
 */
export function applyLanceEnvironment(): void {
  process.env.LANCE_FTS_WRITE_QUEUE_SIZE ??= "65536";
}
