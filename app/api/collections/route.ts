import { listCollections } from "../../../db/queries/collections";
import { collectionAccessOf } from "../../../lib/access/collection-access";
import { addCollection } from "../../../lib/access/manage-access";
import { toHttpResponse } from "../../../lib/http/error-response";
import { readJson } from "../../../lib/http/read-json";
import { authorize } from "../../_server/authorize";
import { createCollectionSchema } from "./schema";

/** The collections the caller may read, each with whether they may curate it. */
export async function GET(request: Request): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { db } = folio.database;
    const access = await collectionAccessOf(db, actor);
    const collections = await listCollections({ db, ids: [...access.readable] });
    return Response.json(
      {
        collections: collections.map((collection) => ({
          ...collection,
          permission: access.curatable.has(collection.id) ? "curate" : "read",
        })),
      },
      { headers: { "cache-control": "no-store" } },
    );
  } catch (error) {
    return toHttpResponse(error);
  }
}

/** Admins create collections (an existing name returns that collection with 200). */
export async function POST(request: Request): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request, { roles: ["admin"] });
    const body = await readJson(request, createCollectionSchema);
    const { collection, isNew } = await addCollection(folio.database.db, actor.userId, body);
    return Response.json(
      { collection: { ...collection, permission: "curate" } },
      { status: isNew ? 201 : 200 },
    );
  } catch (error) {
    return toHttpResponse(error);
  }
}
