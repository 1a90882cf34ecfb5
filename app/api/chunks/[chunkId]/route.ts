import { z } from "zod";
import { readableCollectionIds } from "../../../../lib/access/collection-access";
import { AppError } from "../../../../lib/errors";
import { toHttpResponse } from "../../../../lib/http/error-response";
import { parseInput } from "../../../../lib/http/parse-input";
import { servableDocuments } from "../../../../lib/retrieval/retrieve-context";
import { authorize } from "../../../_server/authorize";

const paramsSchema = z.object({ chunkId: z.string().regex(/^[0-9a-f]{32}$/) });

/** One passage with its document title and page: what a citation opens. */
export async function GET(
  request: Request,
  context: { params: Promise<{ chunkId: string }> },
): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { chunkId } = parseInput(paramsSchema, await context.params);
    const { db } = folio.database;
    const collectionIds = await readableCollectionIds(db, actor);
    const store = await folio.store();
    const [chunk] = await store.getChunks({ collectionIds, chunkIds: [chunkId] });
    const documentTitle = chunk
      ? (await servableDocuments(db, collectionIds, [chunk])).get(chunk.id)
      : undefined;
    if (!chunk || documentTitle === undefined) {
      throw new AppError("not_found:chunk", { message: "No such passage." });
    }
    return Response.json({ chunk, documentTitle });
  } catch (error) {
    return toHttpResponse(error);
  }
}
