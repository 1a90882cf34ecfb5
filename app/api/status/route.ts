import { toHttpResponse } from "../../../lib/http/error-response";
import { getFolio } from "../../_server/folio";

/** Whether the models are installed, and the command that installs a missing one. */
export async function GET(): Promise<Response> {
  try {
    const folio = await getFolio();
    const { config } = folio;
    return Response.json(
      {
        models: await folio.modelStatus(),
        database: folio.database.driver,
        ingestWorker: config.ingestWorker,
      },
      { headers: { "cache-control": "no-store" } },
    );
  } catch (error) {
    return toHttpResponse(error);
  }
}
