import { z } from "zod";
import { readThread } from "../../../../lib/conversations/thread-view";
import { toHttpResponse } from "../../../../lib/http/error-response";
import { parseInput } from "../../../../lib/http/parse-input";
import { authorize } from "../../../_server/authorize";

const paramsSchema = z.object({ threadId: z.uuid() });

/** One of the caller's conversations, with its questions, answers and the passages they cite. */
export async function GET(
  request: Request,
  context: { params: Promise<{ threadId: string }> },
): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { threadId } = parseInput(paramsSchema, await context.params);
    return Response.json(
      await readThread({ db: folio.database.db, store: await folio.store() }, actor, threadId),
    );
  } catch (error) {
    return toHttpResponse(error);
  }
}
