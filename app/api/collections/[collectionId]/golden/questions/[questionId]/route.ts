import { requireCollection } from "../../../../../../../lib/access/collection-access";
import {
  editGoldenQuestion,
  removeGoldenQuestion,
} from "../../../../../../../lib/golden/manage-golden-questions";
import { toHttpResponse } from "../../../../../../../lib/http/error-response";
import { parseInput } from "../../../../../../../lib/http/parse-input";
import { readJson } from "../../../../../../../lib/http/read-json";
import { authorize } from "../../../../../../_server/authorize";
import { goldenQuestionParamsSchema, goldenQuestionSchema } from "../../schema";

type Context = { params: Promise<{ collectionId: string; questionId: string }> };

/** Curators change a golden question (text, document, page). Audited. */
export async function PATCH(request: Request, context: Context): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { collectionId, questionId } = parseInput(goldenQuestionParamsSchema, await context.params);
    const { db } = folio.database;
    await requireCollection(db, actor, { collectionId, permission: "curate" });
    const body = await readJson(request, goldenQuestionSchema);
    const question = await editGoldenQuestion(db, actor.userId, { collectionId, questionId, ...body });
    return Response.json({ question });
  } catch (error) {
    return toHttpResponse(error);
  }
}

/** Curators remove a golden question; earlier runs keep what it found. Audited. */
export async function DELETE(request: Request, context: Context): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { collectionId, questionId } = parseInput(goldenQuestionParamsSchema, await context.params);
    const { db } = folio.database;
    await requireCollection(db, actor, { collectionId, permission: "curate" });
    await removeGoldenQuestion(db, actor.userId, { collectionId, questionId });
    return new Response(null, { status: 204 });
  } catch (error) {
    return toHttpResponse(error);
  }
}
