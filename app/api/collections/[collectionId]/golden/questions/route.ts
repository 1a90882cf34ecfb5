import { requireCollection } from "../../../../../../lib/access/collection-access";
import { addGoldenQuestion } from "../../../../../../lib/golden/manage-golden-questions";
import { toHttpResponse } from "../../../../../../lib/http/error-response";
import { parseInput } from "../../../../../../lib/http/parse-input";
import { readJson } from "../../../../../../lib/http/read-json";
import { authorize } from "../../../../../_server/authorize";
import { goldenParamsSchema, goldenQuestionSchema } from "../schema";

/** Curators add a golden question: the text, the document of this collection that answers it, optionally the page. Audited. */
export async function POST(request: Request, context: { params: Promise<{ collectionId: string }> }) {
  try {
    const { folio, actor } = await authorize(request);
    const { collectionId } = parseInput(goldenParamsSchema, await context.params);
    const { db } = folio.database;
    await requireCollection(db, actor, { collectionId, permission: "curate" });
    const body = await readJson(request, goldenQuestionSchema);
    const question = await addGoldenQuestion(db, actor.userId, { collectionId, ...body });
    return Response.json({ question }, { status: 201 });
  } catch (error) {
    return toHttpResponse(error);
  }
}
