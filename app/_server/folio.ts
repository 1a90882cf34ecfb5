import "server-only";
import { loadConfig } from "../../lib/config";
import { createFolio, type Folio } from "../../lib/runtime";

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
  const folio = await createFolio(config, { startIngestWorker: config.ingestWorker === "in-process" });
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      void folio.close().finally(() => process.exit(0));
    });
  }
  return folio;
}
