import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { listDocumentVersions } from "../../../../../db/queries/documents";
import { localActor, requireReadableCollection } from "../../../../../lib/access/readable-collections";
import { AppError } from "../../../../../lib/errors";
import { toHttpResponse } from "../../../../../lib/http/error-response";
import { parseInput } from "../../../../../lib/http/parse-input";
import { getFolio } from "../../../../_server/folio";
import { collectionParamsSchema, uploadQuerySchema } from "./schema";

interface RouteContext {
  params: Promise<{ collectionId: string }>;
}

/** Upload one file: `POST /api/collections/:id/documents?name=report.pdf` with the bytes as body. */
export async function POST(request: Request, context: RouteContext): Promise<Response> {
  try {
    const { collectionId } = parseInput(collectionParamsSchema, await context.params);
    const { name } = parseInput(uploadQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
    const folio = await getFolio();
    await requireReadableCollection({ db: folio.database.db, actor: localActor, collectionId });
    if (!request.body)
      throw new AppError("invalid:empty_file", {
        message: "The file is empty (0 bytes).",
      });
    const declared = request.headers.get("content-length");
    const accepted = await folio.ingest.accept({
      collectionId,
      fileName: name,
      body: Readable.fromWeb(request.body as NodeReadableStream<Uint8Array>),
      declaredBytes: declared === null ? undefined : Number(declared),
    });
    return Response.json(accepted, { status: accepted.isDuplicate ? 200 : 202 });
  } catch (error) {
    return toHttpResponse(error);
  }
}

export async function GET(_request: Request, context: RouteContext): Promise<Response> {
  try {
    const { collectionId } = parseInput(collectionParamsSchema, await context.params);
    const folio = await getFolio();
    await requireReadableCollection({ db: folio.database.db, actor: localActor, collectionId });
    const rows = await listDocumentVersions({ db: folio.database.db, collectionIds: [collectionId] });
    return Response.json({
      documents: rows.map(({ document, version }) => ({
        documentId: document.id,
        title: document.title,
        versionId: version.id,
        status: version.status,
        pageCount: version.pageCount,
        chunkCount: version.chunkCount,
        errorCode: version.errorCode,
        errorMessage: version.errorMessage,
        createdAt: version.createdAt,
      })),
    });
  } catch (error) {
    return toHttpResponse(error);
  }
}
