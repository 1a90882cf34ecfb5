import { requireCollection } from "../../../../../../lib/access/collection-access";
import { summarizeRun } from "../../../../../../lib/golden/golden-overview";
import { requestGoldenRun } from "../../../../../../lib/golden/queue-golden-run";
import { toHttpResponse } from "../../../../../../lib/http/error-response";
import { parseInput } from "../../../../../../lib/http/parse-input";
import { authorize } from "../../../../../_server/authorize";
import { goldenParamsSchema } from "../schema";

/**
 * "Run now": curators queue a run of the collection's golden questions (joining the one already
 * queued). The process running the ingest worker runs it once the collection's jobs are done.
 */
export async function POST(request: Request, context: { params: Promise<{ collectionId: string }> }) {
  try {
    const { folio, actor } = await authorize(request);
    const { collectionId } = parseInput(goldenParamsSchema, await context.params);
    const { db } = folio.database;
    await requireCollection(db, actor, { collectionId, permission: "curate" });
    const run = await requestGoldenRun(db, { collectionId, actor: actor.userId });
    folio.golden.wake();
    return Response.json({ run: summarizeRun(run) }, { status: 202 });
  } catch (error) {
    return toHttpResponse(error);
  }
}
