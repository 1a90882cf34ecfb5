import { count } from "drizzle-orm";
import type { Executor } from "../../db/client";
import { ingestJobs, jobStateEnum } from "../../db/schema";
import type { JobCounts } from "./metrics";

/**
 * Ingest jobs by state, every state present (0 when none), for the `folio_ingest_jobs` gauge.
 * Kept here rather than in db/queries/ingest-jobs.ts: it is read only by the metrics route.
 */
export async function countJobsByState(db: Executor): Promise<JobCounts> {
  const rows = await db
    .select({ state: ingestJobs.state, jobs: count() })
    .from(ingestJobs)
    .groupBy(ingestJobs.state);
  const counts: JobCounts = Object.fromEntries(jobStateEnum.enumValues.map((state) => [state, 0]));
  for (const row of rows) counts[row.state] = Number(row.jobs);
  return counts;
}
