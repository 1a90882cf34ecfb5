import type { Database } from "../../db/client";
import { listCollectionsWithGoldenQuestions, listGoldenQuestions } from "../../db/queries/golden-questions";
import {
  claimNextGoldenRun,
  completeGoldenRun,
  enqueueGoldenRun,
  failGoldenRun,
  type GoldenRunLease,
  getLatestDoneGoldenRun,
  goldenLeaseOf,
  holdsGoldenRunLease,
  releaseGoldenRun,
  renewGoldenRunLease,
} from "../../db/queries/golden-runs";
import type { GoldenModelIds, GoldenRun } from "../../db/schema";
import { appendAuditEvent } from "../audit/append-audit-event";
import { canonicalJson } from "../audit/hash-chain";
import { AppError, asAppError } from "../errors";
import { getLogger } from "../observability/log";
import { recordGoldenRun } from "../observability/metrics";
import { QueuePoller } from "../queue-poller";
import type { RetrievalDependencies } from "../retrieval/retrieve-context";
import { compareGoldenRuns, evaluateGoldenQuestions, isRecallAlert } from "./evaluate-golden-questions";

/** Retrieval as /api/ask does it, and the ids of the models it uses. Rejects while a model is missing. */
export interface GoldenRetrieval {
  dependencies: RetrievalDependencies;
  modelIds: GoldenModelIds;
}

export interface GoldenRunnerOptions {
  db: Database;
  retrieval: () => Promise<GoldenRetrieval>;
  /** @see FolioConfig.golden */
  k: number;
  depth: number;
  alertDrop: number;
  debounceMs: number;
  /** @default 60_000 — a dead worker's run is taken over after this long. */
  leaseMs?: number;
  /** @default 2_000 — how often an idle runner looks for queued runs (re-index runs wait out their debounce). */
  pollIntervalMs?: number;
  /** @default 3 */
  maxAttempts?: number;
  log?: (message: string) => void;
}

export type GoldenRunResult =
  | { runId: string; collectionId: string; state: "done"; run: GoldenRun }
  | { runId: string; collectionId: string; state: "failed"; error: AppError }
  | { runId: string; collectionId: string; state: "lease_lost" };

/**
 * Runs queued golden-question runs where the ingest worker runs (web nodes with
 * INGEST_WORKER=off only queue them). At start, once the models load (and again whenever their
 * ids change, e.g. a reranker that loads later), it queues a run for every collection whose last
 * run used other models. A run asks every question of its collection
 * through the real retrieval and records recall@k; a drop against the previous completed run
 * raises an alert: flagged on the run, audited with it, logged and counted.
 */
export class GoldenRunner {
  private loop: Promise<void> | undefined;
  private current: Promise<unknown> | undefined;
  private readonly poller: QueuePoller;
  /** The model ids the last model-change check was made for (the reranker may load later than the embedder). */
  private checkedModelIds: string | undefined;
  /** Aborted by `stop`: the run in progress goes back to the queue between two questions. */
  private stopping = new AbortController();

  constructor(private readonly options: GoldenRunnerOptions) {
    this.poller = new QueuePoller({
      step: () => this.step(),
      pollIntervalMs: options.pollIntervalMs ?? 2_000,
      onWaiting: (reason) => this.log(`golden runs waiting — ${reason}`),
    });
  }

  start(): void {
    if (this.poller.running) return;
    this.stopping = new AbortController();
    this.loop = this.poller.start();
  }

  /** Looks for work now (after a "Run now" in this process). */
  wake(): void {
    this.poller.wake();
  }

  /** Stops looking for runs; the one in progress goes back to the queue after its current question. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.poller.stop();
    await this.loop;
    await this.current?.catch(() => {});
  }

  /**
   * Queues a `model_change` run for each collection with questions whose latest completed run
   * used other models than `modelIds`. Returns the collections queued.
   */
  async queueRunsForModelChange(modelIds: GoldenModelIds): Promise<string[]> {
    const { db } = this.options;
    const queued: string[] = [];
    for (const collectionId of await listCollectionsWithGoldenQuestions({ db })) {
      const latest = await getLatestDoneGoldenRun({ db, collectionId });
      if (!latest?.modelIds || canonicalJson(latest.modelIds) === canonicalJson(modelIds)) continue;
      await enqueueGoldenRun({ db, collectionId, trigger: "model_change", requestedBy: "system" });
      queued.push(collectionId);
    }
    if (queued.length > 0) {
      this.log(
        `models changed to ${canonicalJson(modelIds)}: golden runs queued for ${queued.length} collection(s)`,
      );
    }
    return queued;
  }

  /** Claims and runs one queued run if there is one and the models are ready. */
  async runOnce(): Promise<GoldenRunResult | undefined> {
    const retrieval = await this.options.retrieval();
    const run = await claimNextGoldenRun({
      db: this.options.db,
      leaseMs: this.leaseMs,
      quietMs: this.options.debounceMs,
      maxAttempts: this.options.maxAttempts ?? 3,
    });
    if (!run) return undefined;
    const processing = this.process(run, goldenLeaseOf(run), retrieval);
    this.current = processing;
    return processing;
  }

  private get leaseMs(): number {
    return this.options.leaseMs ?? 60_000;
  }

  private async process(
    run: GoldenRun,
    lease: GoldenRunLease,
    retrieval: GoldenRetrieval,
  ): Promise<GoldenRunResult> {
    const { db, k, depth } = this.options;
    const base = { runId: run.id, collectionId: run.collectionId };
    const heartbeat = setInterval(
      () => void renewGoldenRunLease({ db, lease, leaseMs: this.leaseMs }).catch(() => {}),
      this.leaseMs / 3,
    );
    try {
      const questions = await listGoldenQuestions({ db, collectionId: run.collectionId });
      if (questions.length === 0) {
        throw new AppError("conflict:golden_run", {
          message: "The collection has no golden questions any more.",
        });
      }
      const evaluation = await evaluateGoldenQuestions(retrieval.dependencies, {
        collectionId: run.collectionId,
        questions,
        k,
        depth,
        signal: this.stopping.signal,
      });
      const previous = await getLatestDoneGoldenRun({
        db,
        collectionId: run.collectionId,
        exceptRunId: run.id,
      });
      const change = previous?.outcomes
        ? compareGoldenRuns(previous.outcomes, evaluation.outcomes, k)
        : undefined;
      const isAlert = change !== undefined && isRecallAlert(change, this.options.alertDrop);
      const recorded = await db.transaction(async (tx) => {
        if (!(await holdsGoldenRunLease({ db: tx, lease }))) return undefined;
        const done = await completeGoldenRun({
          db: tx,
          lease,
          figures: {
            modelIds: retrieval.modelIds,
            k,
            depth,
            questionCount: questions.length,
            hitCount: evaluation.hitCount,
            recallAtK: evaluation.recallAtK,
            recallAtDepth: evaluation.recallAtDepth,
            outcomes: evaluation.outcomes,
            previousRunId: previous?.id ?? null,
            isAlert,
            alertDrop: change ? change.drop : null,
          },
        });
        if (done && isAlert && change && previous) {
          await appendAuditEvent(tx, {
            actor: "system",
            action: "golden_run.alert",
            subject: `golden_run:${done.id}`,
            payload: {
              runId: done.id,
              collectionId: done.collectionId,
              trigger: done.trigger,
              k,
              recallAtK: done.recallAtK,
              previousRunId: previous.id,
              previousRecallAtK: previous.recallAtK,
              drop: change.drop,
              commonQuestionCount: change.commonCount,
              lostQuestionIds: change.lostQuestionIds,
              modelIds: done.modelIds,
              previousModelIds: previous.modelIds,
            },
          });
        }
        return done;
      });
      if (!recorded) return this.leaseLost(run);
      recordGoldenRun({ state: "done", collectionId: run.collectionId, isAlert });
      const summary = `golden run ${run.id} (${run.trigger}) of collection ${run.collectionId}: recall@${k} ${evaluation.hitCount}/${questions.length}`;
      if (isAlert && change) {
        getLogger().warn("golden questions: recall dropped", {
          runId: run.id,
          collectionId: run.collectionId,
          trigger: run.trigger,
          k,
          recallAtK: evaluation.recallAtK,
          previousRecallAtK: previous?.recallAtK ?? null,
          drop: change.drop,
          lostQuestionIds: change.lostQuestionIds,
          modelIds: retrieval.modelIds,
        });
      }
      this.log(isAlert ? `${summary} — ALERT: recall dropped` : summary);
      return { ...base, state: "done", run: recorded };
    } catch (thrown) {
      const error = asAppError(thrown);
      if (error.category === "unavailable") {
        // A model or the database went away mid-run: the run waits for them in the queue.
        await releaseGoldenRun({ db, lease }).catch(() => {});
        throw error;
      }
      if (error.category === "internal")
        getLogger().error(`golden run ${run.id} failed`, { error: error.cause ?? error });
      const message =
        error.category === "internal" ? "The run failed unexpectedly; see the server log." : error.message;
      const isOurs = await failGoldenRun({ db, lease, errorCode: error.code, errorMessage: message });
      if (!isOurs) return this.leaseLost(run);
      recordGoldenRun({ state: "failed", collectionId: run.collectionId, isAlert: false });
      this.log(`golden run ${run.id}: failed (${error.code}) ${message}`);
      return { ...base, state: "failed", error };
    } finally {
      clearInterval(heartbeat);
    }
  }

  private leaseLost(run: GoldenRun): GoldenRunResult {
    this.log(`golden run ${run.id}: taken over or removed meanwhile; its result is not recorded`);
    return { runId: run.id, collectionId: run.collectionId, state: "lease_lost" };
  }

  /** Queues model-change runs when the models' ids changed since the last look, then runs one queued run. */
  private async step(): Promise<boolean> {
    const { modelIds } = await this.options.retrieval();
    const modelKey = canonicalJson(modelIds);
    if (modelKey !== this.checkedModelIds) {
      await this.queueRunsForModelChange(modelIds);
      this.checkedModelIds = modelKey;
    }
    return (await this.runOnce()) !== undefined;
  }

  private log(message: string): void {
    (this.options.log ?? ((line: string) => getLogger().info(line)))(`[golden] ${message}`);
  }
}
