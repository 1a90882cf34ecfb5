import { inArray, sql } from "drizzle-orm";
import { ingestJobs } from "../../db/schema";
import { loadConfig } from "../../lib/config";
import { createFolio } from "../../lib/runtime";

/**
 * The ingest worker of one Folio process, on whatever database the environment names — PGlite
 * included: this process then owns it, as `npm start` does. Fault tests kill it with SIGKILL.
 * With `--drain` it exits once no job is queued or running.
 */
const folio = await createFolio(loadConfig(), {
  startIngestWorker: true,
  log: (line) => console.info(line),
});
console.info(`worker-ready ${process.pid}`);

if (process.argv.includes("--drain")) {
  const unfinished = async () => {
    const [row] = await folio.database.db
      .select({ count: sql<number>`count(*)::int` })
      .from(ingestJobs)
      .where(inArray(ingestJobs.state, ["queued", "running"]));
    return row?.count ?? 0;
  };
  while ((await unfinished()) > 0) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await folio.close();
  console.info("worker-drained");
  process.exit(0);
}
