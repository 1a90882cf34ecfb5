import { loadConfig } from "../lib/config";
import { createFolio } from "../lib/runtime";

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
  const folio = await createFolio(config, { startIngestWorker: true });
  console.info(`[ingest] worker ${process.pid} started (database ${folio.database.driver})`);
  const shutdown = async (signal: string) => {
    console.info(`[ingest] ${signal}: finishing the current job`);
    await folio.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
