import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { listDocumentVersions } from "../../../../../db/queries/documents";
import { requireCollection } from "../../../../../lib/access/collection-access";
import { AppError } from "../../../../../lib/errors";
import { toHttpResponse } from "../../../../../lib/http/error-response";
import { parseInput } from "../../../../../lib/http/parse-input";
import { authorize } from "../../../../_server/authorize";
import { collectionParamsSchema, readPdfPassword, uploadQuerySchema } from "./schema";

interface RouteContext {
  params: Promise<{ collectionId: string }>;
}

/** Upload one file: `POST /api/collections/:id/documents?name=report.pdf` with the bytes as body. */
export async function POST(request: Request, context: RouteContext): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { collectionId } = parseInput(collectionParamsSchema, await context.params);
    const query = parseInput(uploadQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
    await requireCollection(folio.database.db, actor, { collectionId, permission: "curate" });
    if (!request.body) throw new AppError("invalid:empty_file", { message: "The file is empty (0 bytes)." });
    const declared = request.headers.get("content-length");
    const password = readPdfPassword(request.headers);
    const accepted = await folio.ingest.accept({
      actor: actor.userId,
      collectionId,
      fileName: query.name,
      body: Readable.fromWeb(request.body as NodeReadableStream<Uint8Array>),
      declaredBytes: declared === null ? undefined : Number(declared),
      onNameConflict: query.replace
        ? { kind: "replace", documentId: query.replace }
        : query.keepBoth === "true"
          ? { kind: "keep_both" }
          : { kind: "ask" },
      ...(password === undefined ? {} : { password }),
    });
    return Response.json(accepted, { status: accepted.isDuplicate ? 200 : 202 });
  } catch (error) {
    return toHttpResponse(error);
  }
}

/** Every version of every document in the collection, with status, pages, passages and errors. */
export async function GET(request: Request, context: RouteContext): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { collectionId } = parseInput(collectionParamsSchema, await context.params);
    const { db } = folio.database;
    await requireCollection(db, actor, { collectionId, permission: "read" });
    const rows = await listDocumentVersions({ db, collectionIds: [collectionId] });
    return Response.json(
      {
        documents: rows.map(({ document, version }) => ({
          documentId: document.id,
          title: document.title,
          versionId: version.id,
          isCurrent: document.currentVersionId === version.id,
          status: version.status,
          pageCount: version.pageCount,
          chunkCount: version.chunkCount,
          errorCode: version.errorCode,
          errorMessage: version.errorMessage,
          createdAt: version.createdAt,
        })),
      },
      { headers: { "cache-control": "no-store" } },
    );
  } catch (error) {
    return toHttpResponse(error);
  }
}
