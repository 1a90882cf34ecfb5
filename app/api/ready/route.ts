import { loadConfig } from "../../../lib/config";
import {
  checkReadiness,
  notStarted,
  type Readiness,
  withinTimeout,
} from "../../../lib/observability/readiness";
import { getFolio } from "../../_server/folio";

/** Seconds a load balancer should wait before asking a not-ready process again. */
const retryAfterSeconds = 5;

/**
 * Readiness: 200 when the database, the chunk table and both models (unless
 * READY_REQUIRES_MODELS=false) are usable; otherwise 503
 * with Retry-After and the state of each check (codes only). Public, like /api/health, and
 * exempt from the Host check (proxy.ts): probes address the pod by IP, and nothing here depends
 * on who asks.
 */
export async function GET(): Promise<Response> {
  const { readyTimeoutMs, readyRequiresModels } = loadConfig().observability;
  const readiness = await withinTimeout<Readiness | undefined>(
    getFolio().then(
      (folio) => checkReadiness(folio, { timeoutMs: readyTimeoutMs, requiresModels: readyRequiresModels }),
      (error: unknown) => notStarted(error),
    ),
    // Opening the database, then each check's own timeout.
    2 * readyTimeoutMs,
    undefined,
  );
  const { isReady, checks } = readiness ?? notStarted(undefined);
  const headers = new Headers({ "cache-control": "no-store" });
  if (!isReady) headers.set("retry-after", String(retryAfterSeconds));
  return Response.json(
    { status: isReady ? "ready" : "not_ready", checks },
    { status: isReady ? 200 : 503, headers },
  );
}
