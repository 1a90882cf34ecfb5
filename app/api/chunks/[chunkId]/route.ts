import { z } from "zod";
import { getDocumentsByIds } from "../../../../db/queries/documents";
import { localActor, readableCollectionIds } from "../../../../lib/access/readable-collections";
import { AppError } from "../../../../lib/errors";
import { toHttpResponse } from "../../../../lib/http/error-response";
import { parseInput } from "../../../../lib/http/parse-input";
import { getFolio } from "../../../_server/folio";

const paramsSchema = z.object({ chunkId: z.string().regex(/^[0-9a-f]{32}$/) });

/** One passage with its document title and page: what a citation opens. */
export async function GET(
  _request: Request,
  context: { params: Promise<{ chunkId: string }> },
): Promise<Response> {
  try {
    const { chunkId } = parseInput(paramsSchema, await context.params);
    const folio = await getFolio();
    const { db } = folio.database;
    const collectionIds = await readableCollectionIds({ db, actor: localActor });
    const store = await folio.store();
    const [chunk] = await store.getChunks({ collectionIds, chunkIds: [chunkId] });
    const [document] = chunk ? await getDocumentsByIds({ db, ids: [chunk.documentId] }) : [];
    if (!chunk || !document)
      throw new AppError("not_found:chunk", {
        message: "No such passage.",
      });
    return Response.json({ chunk, documentTitle: document.title });
  } catch (error) {
    return toHttpResponse(error);
  }
}
