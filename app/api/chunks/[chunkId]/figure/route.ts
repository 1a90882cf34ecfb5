import { z } from "zod";
import { toHttpResponse } from "../../../../../lib/http/error-response";
import { parseInput } from "../../../../../lib/http/parse-input";
import { pngResponse } from "../../../../../lib/http/png-response";
import { requireFigureFile } from "../../../../../lib/previews/preview-access";
import { authorize } from "../../../../_server/authorize";

const paramsSchema = z.object({ chunkId: z.string().regex(/^[0-9a-f]{32}$/) });

/** The image of a figure passage (its crop from the page, or the picture an image document is). */
export async function GET(
  request: Request,
  context: { params: Promise<{ chunkId: string }> },
): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { chunkId } = parseInput(paramsSchema, await context.params);
    const filePath = await requireFigureFile(
      { db: folio.database.db, store: await folio.store(), derived: folio.derived },
      actor,
      chunkId,
    );
    return await pngResponse(filePath, { maxAgeSeconds: 300 });
  } catch (error) {
    return toHttpResponse(error);
  }
}
