import "server-only";
import { ConfigError, loadConfig } from "../../lib/config";
import { countHttpResponses } from "../../lib/observability/http-responses";
import { getLogger } from "../../lib/observability/log";
import { getFolio } from "./folio";

/**
 * Runs once when the Node.js server starts. A bad configuration stops the server, naming the
 * variable (Next.js alone would log the error and keep serving failures). Opening the database
 * (migrations) and starting the in-process ingest worker run in the background, so pages are
 * served at once and API calls wait for them. Every response is counted from here on (/api/metrics).
 */
export function startServer(): void {
  const log = getLogger();
  try {
    loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    log.error(`[folio] ${error.message}`);
    process.exit(78); // EX_CONFIG
  }
  countHttpResponses();
  getFolio().catch((error: unknown) => log.error("[folio] could not start", { error }));
}
