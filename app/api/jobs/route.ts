import { z } from "zod";
import { listJobs } from "../../../db/queries/ingest-jobs";
import { readableCollectionIds } from "../../../lib/access/collection-access";
import { toHttpResponse } from "../../../lib/http/error-response";
import { parseInput } from "../../../lib/http/parse-input";
import { authorize } from "../../_server/authorize";

const querySchema = z.object({ collectionId: z.uuid().optional() });

/** Ingest jobs with live stage and progress, newest first, in collections the caller may read. */
export async function GET(request: Request): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const { collectionId } = parseInput(querySchema, Object.fromEntries(new URL(request.url).searchParams));
    const { db } = folio.database;
    const collectionIds = await readableCollectionIds(db, actor, collectionId ? [collectionId] : undefined);
    const rows = await listJobs({ db, collectionIds });
    return Response.json(
      {
        jobs: rows.map(({ job, ...rest }) => ({
          jobId: job.id,
          state: job.state,
          stage: job.stage,
          progress: job.progress,
          attempts: job.attempts,
          errorCode: job.errorCode,
          errorMessage: job.errorMessage,
          createdAt: job.createdAt,
          finishedAt: job.finishedAt,
          ...rest,
        })),
      },
      { headers: { "cache-control": "no-store" } },
    );
  } catch (error) {
    return toHttpResponse(error);
  }
}
