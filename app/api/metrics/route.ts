import { readGoldenFigures } from "../../../lib/golden/golden-figures";
import { toHttpResponse } from "../../../lib/http/error-response";
import { countJobsByState } from "../../../lib/observability/job-counts";
import { renderMetrics } from "../../../lib/observability/metrics";
import { hasMetricsToken } from "../../../lib/observability/metrics-access";
import { authorize } from "../../_server/authorize";
import { getFolio } from "../../_server/folio";

/**
 * Prometheus metrics of this process (and the job counts of the shared database). Readable with
 * `Authorization: Bearer <METRICS_TOKEN>` — from any Host, since a scraper addresses the pod by IP
 * and a bearer token rides on no visitor's browser — or by a signed-in admin or auditor (session
 * or API token) through the usual request boundary. Anyone else: 401 / 403.
 */
export async function GET(request: Request): Promise<Response> {
  try {
    const folio = await getFolio();
    if (!hasMetricsToken(request, folio.config.observability.metricsToken)) {
      await authorize(request, { roles: ["admin", "auditor"] });
    }
    const { body, contentType } = await renderMetrics({
      jobCounts: () => countJobsByState(folio.database.db),
      goldenFigures: () => readGoldenFigures(folio.database.db),
    });
    return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
  } catch (error) {
    return toHttpResponse(error);
  }
}
