import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createPdfProcessPool } from "../../ingest/pdf/pdf-process-pool";

/**
 * A command-line program's use of the PDF pool: read every page of argv[2], dispose the pool,
 * print "disposed". Nothing else keeps the process alive, so the line appears only if
 * `dispose()` settles (tests/integration/pdf-process-pool.test.ts).
 */
const pool = createPdfProcessPool({ processes: 2 });
const work = await mkdtemp(path.join(tmpdir(), "folio-pool-dispose-"));
let pageCount = 0;
for await (const _ of (await pool.read(process.argv[2] ?? "", { figureDirectory: null, workDirectory: work }))
  .pages)
  pageCount++;
await pool.dispose();
await rm(work, { recursive: true, force: true });
console.log(`disposed after ${pageCount} pages`);
