import "server-only";
import { createIngestService, type IngestService } from "../../ingest/ingest-service";
import { type FolioConfig, loadConfig } from "../../lib/config";
import { createRuntime, type Runtime } from "../../lib/runtime";

export interface Folio {
  config: FolioConfig;
  runtime: Runtime;
  ingest: IngestService;
}

/**
 * One Folio per server process. Next.js may load this module in several bundles (instrumentation,
 * each route), so the instance lives on `globalThis`: two copies would open PGlite twice.
 */
const globalKey = Symbol.for("folio.instance");
type GlobalWithFolio = typeof globalThis & { [globalKey]?: Promise<Folio> };

export function getFolio(): Promise<Folio> {
  const holder = globalThis as GlobalWithFolio;
  holder[globalKey] ??= startFolio().catch((error: unknown) => {
    holder[globalKey] = undefined;
    throw error;
  });
  return holder[globalKey];
}

async function startFolio(): Promise<Folio> {
  const config = loadConfig();
  const runtime = await createRuntime(config);
  const ingest = createIngestService(runtime);
  if (config.ingestWorker === "in-process") ingest.worker.start();
  const shutdown = async () => {
    await ingest.close();
    await runtime.close();
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      void shutdown().finally(() => process.exit(0));
    });
  }
  return { config, runtime, ingest };
}
