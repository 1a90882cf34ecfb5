import { loadConfig } from "../lib/config";
import { getLogger } from "../lib/observability/log";
import { createFolio } from "../lib/runtime";

/** How long closing the models, stores and database may take after the jobs were settled. */
const closeGraceMs = 10_000;

/**
 * A standalone ingest worker (`npm run worker`): for scale-out, run any number of these against
 * the shared PostgreSQL queue while web nodes run with INGEST_WORKER=off.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) {
    throw new Error(
      "A separate worker needs DATABASE_URL: embedded PGlite belongs to the one `npm start` process.",
    );
  }
  // The worker starts claiming inside createFolio: the signals must be handled from before then,
  // or a stop during start-up would kill a job it had just claimed instead of releasing it.
  const starting = createFolio(config, { startIngestWorker: true });
  // Running jobs get the deadline to finish; the rest go back to the queue for another worker at
  // once. A second signal ends the process without waiting (the listeners are gone by then).
  const shutdown = async (signal: string) => {
    const deadlineMs = config.shutdownDeadlineSeconds * 1000;
    console.info(
      `[ingest] ${signal}: finishing running jobs for up to ${deadlineMs} ms, then releasing them`,
    );
    setTimeout(() => {
      console.error("[ingest] shutdown took too long; exiting");
      process.exit(1);
    }, deadlineMs + closeGraceMs).unref();
    const folio = await starting;
    await folio.ingest.worker.stop({ deadlineMs });
    await folio.close();
    process.exit(0);
  };
  const onSignal = (signal: string) =>
    void shutdown(signal).catch((error: unknown) => {
      getLogger().error(`[ingest] ${signal}: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));
  const folio = await starting;
  getLogger().info(`[ingest] worker ${process.pid} started (database ${folio.database.driver})`);
}

main().catch((error: unknown) => {
  getLogger().error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
