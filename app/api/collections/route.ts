import { createCollection, listCollections } from "../../../db/queries/collections";
import { toHttpResponse } from "../../../lib/http/error-response";
import { readJson } from "../../../lib/http/read-json";
import { getFolio } from "../../_server/folio";
import { createCollectionSchema } from "./schema";

export async function GET(): Promise<Response> {
  try {
    const folio = await getFolio();
    return Response.json({ collections: await listCollections({ db: folio.database.db }) });
  } catch (error) {
    return toHttpResponse(error);
  }
}

export async function POST(request: Request): Promise<Response> {
  try {
    const body = await readJson(request, createCollectionSchema);
    const folio = await getFolio();
    const { collection, isNew } = await createCollection({ db: folio.database.db, ...body });
    return Response.json({ collection }, { status: isNew ? 201 : 200 });
  } catch (error) {
    return toHttpResponse(error);
  }
}
