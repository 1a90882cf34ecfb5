import { readableCollectionIds } from "../../../lib/access/collection-access";
import { toHttpResponse } from "../../../lib/http/error-response";
import { readJson } from "../../../lib/http/read-json";
import { retrieveContext } from "../../../lib/retrieval/retrieve-context";
import { authorize } from "../../_server/authorize";
import { searchSchema } from "./schema";

/** Passages matching a query, without the answering model: works when no GGUF is installed. */
export async function POST(request: Request): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const body = await readJson(request, searchSchema);
    const { db } = folio.database;
    const collectionIds = await readableCollectionIds(db, actor, body.collectionIds);
    const startedAt = performance.now();
    const passages = await retrieveContext(
      { db, ...(await folio.retrievalParts()) },
      { question: body.query, collectionIds, limit: body.limit, mode: body.mode },
    );
    return Response.json({ passages, retrievalMs: performance.now() - startedAt });
  } catch (error) {
    return toHttpResponse(error);
  }
}
