import { collectionAccessOf, requireCollection } from "../../../../../lib/access/collection-access";
import { getGoldenOverview } from "../../../../../lib/golden/golden-overview";
import { toHttpResponse } from "../../../../../lib/http/error-response";
import { parseInput } from "../../../../../lib/http/parse-input";
import { authorize } from "../../../../_server/authorize";
import { goldenParamsSchema } from "./schema";

/**
 * The collection's golden questions, each with what the latest run found, its runs (newest
 * first) for the trend, the run waiting or in progress, and the alert. Anyone who may read the
 * collection sees them; `permission` says whether the caller may change them (curate).
 */
export async function GET(request: Request, context: { params: Promise<{ collectionId: string }> }) {
  try {
    const { folio, actor } = await authorize(request);
    const { collectionId } = parseInput(goldenParamsSchema, await context.params);
    const { db } = folio.database;
    const collection = await requireCollection(db, actor, { collectionId, permission: "read" });
    const canCurate = (await collectionAccessOf(db, actor)).curatable.has(collectionId);
    const overview = await getGoldenOverview(db, folio.config.golden, collectionId);
    return Response.json(
      {
        collection: { id: collection.id, name: collection.name, permission: canCurate ? "curate" : "read" },
        ...overview,
      },
      { headers: { "cache-control": "no-store" } },
    );
  } catch (error) {
    return toHttpResponse(error);
  }
}
