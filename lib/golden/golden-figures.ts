import type { Database } from "../../db/client";
import { listLatestDoneGoldenRuns } from "../../db/queries/golden-runs";
import type { GoldenFigure } from "../observability/metrics";

/** Each collection's latest completed golden run, for /api/metrics (read at scrape time). */
export async function readGoldenFigures(db: Database): Promise<GoldenFigure[]> {
  const runs = await listLatestDoneGoldenRuns({ db });
  return runs.flatMap((run) =>
    run.k === null || run.recallAtK === null
      ? []
      : [{ collectionId: run.collectionId, k: run.k, recallAtK: run.recallAtK, isAlert: run.isAlert }],
  );
}
