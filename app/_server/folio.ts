import "server-only";
import { createSetupLinkIfNoUsers, signInLinkUrl } from "../../lib/auth/sign-in-links";
import { loadConfig } from "../../lib/config";
import { getLogger } from "../../lib/observability/log";
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
  const setupToken = await createSetupLinkIfNoUsers(folio.database.db);
  if (setupToken) {
    // The one secret Folio ever logs, on purpose: an empty install has no other way in.
    getLogger().info(
      `Folio has no users yet. Create the first admin (one-time link, valid 24 h): ${signInLinkUrl(config.web.publicUrl, "setup", setupToken)}`,
    );
  }
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      void folio.close().finally(() => process.exit(0));
    });
  }
  return folio;
}
