import { toHttpResponse } from "../../../lib/http/error-response";
import { authorize } from "../../_server/authorize";

/** Whether the models are installed, and the command that installs a missing one. */
export async function GET(request: Request): Promise<Response> {
  try {
    const { folio } = await authorize(request);
    return Response.json(
      {
        models: await folio.modelStatus(),
        database: folio.database.driver,
        ingestWorker: folio.config.ingestWorker,
      },
      { headers: { "cache-control": "no-store" } },
    );
  } catch (error) {
    return toHttpResponse(error);
  }
}
