import type { Database } from "../../db/client";
import { getDocumentsByIds } from "../../db/queries/documents";
import { listGoldenQuestions } from "../../db/queries/golden-questions";
import { listGoldenRuns } from "../../db/queries/golden-runs";
import type { GoldenModelIds, GoldenOutcome, GoldenRun } from "../../db/schema";
import type { FolioConfig } from "../config";
import { sha256Hex } from "../text/sha256-hex";
import { compareGoldenRuns } from "./evaluate-golden-questions";

/** A run as the quality page lists it (without its per-question outcomes). */
export interface GoldenRunSummary {
  id: string;
  trigger: GoldenRun["trigger"];
  state: GoldenRun["state"];
  modelIds: GoldenModelIds | null;
  k: number | null;
  depth: number | null;
  questionCount: number | null;
  hitCount: number | null;
  recallAtK: number | null;
  recallAtDepth: number | null;
  isAlert: boolean;
  alertDrop: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: Date;
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** A question with what the latest completed run found for it, when that run asked it as it is now. */
export interface GoldenQuestionView {
  id: string;
  question: string;
  expectedDocumentId: string;
  expectedDocumentTitle: string;
  expectedPage: number | null;
  /** False once the expected document was deleted (the question can only miss). */
  isDocumentPresent: boolean;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  /** Undefined: not run since it was added or changed. */
  latest?: Pick<GoldenOutcome, "rank" | "chunkId" | "versionId" | "pageNumber" | "pageLabel" | "box">;
}

export interface GoldenAlertView {
  runId: string;
  trigger: GoldenRun["trigger"];
  k: number;
  recallAtK: number;
  previousRecallAtK: number | null;
  /** Share of the questions both runs asked that are no longer found within k. */
  drop: number;
  lostQuestionIds: string[];
  modelIds: GoldenModelIds | null;
  previousModelIds: GoldenModelIds | null;
  finishedAt: Date | null;
}

export interface GoldenOverview {
  settings: { k: number; depth: number; alertDrop: number };
  questions: GoldenQuestionView[];
  /** Newest first, at most 100. */
  runs: GoldenRunSummary[];
  /** The run waiting or in progress, if any. */
  pending: GoldenRunSummary | null;
  /** The latest completed run. */
  latest: GoldenRunSummary | null;
  /** Set when the latest completed run raised the alert. */
  alert: GoldenAlertView | null;
}

export function summarizeRun(run: GoldenRun): GoldenRunSummary {
  return {
    id: run.id,
    trigger: run.trigger,
    state: run.state,
    modelIds: run.modelIds ?? null,
    k: run.k,
    depth: run.depth,
    questionCount: run.questionCount,
    hitCount: run.hitCount,
    recallAtK: run.recallAtK,
    recallAtDepth: run.recallAtDepth,
    isAlert: run.isAlert,
    alertDrop: run.alertDrop,
    errorCode: run.errorCode,
    errorMessage: run.errorMessage,
    createdAt: run.createdAt,
    requestedAt: run.requestedAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
  };
}

/** Everything the quality page of a collection shows. Authorization (read) is the caller's. */
export async function getGoldenOverview(
  db: Database,
  settings: FolioConfig["golden"],
  collectionId: string,
): Promise<GoldenOverview> {
  const [questions, runs] = [
    await listGoldenQuestions({ db, collectionId }),
    await listGoldenRuns({ db, collectionId, limit: 100 }),
  ];
  const done = runs.filter((run) => run.state === "done");
  const latestDone = done[0];
  const pending = runs.find((run) => run.state === "queued" || run.state === "running");
  const present = new Set(
    (await getDocumentsByIds({ db, ids: questions.map((question) => question.expectedDocumentId) })).map(
      (document) => document.id,
    ),
  );
  const outcomes = new Map((latestDone?.outcomes ?? []).map((outcome) => [outcome.questionId, outcome]));
  const views = questions.map((question): GoldenQuestionView => {
    const outcome = outcomes.get(question.id);
    const isSame =
      outcome !== undefined &&
      outcome.questionSha256 === sha256Hex(question.question) &&
      outcome.expectedDocumentId === question.expectedDocumentId &&
      outcome.expectedPage === question.expectedPage;
    return {
      id: question.id,
      question: question.question,
      expectedDocumentId: question.expectedDocumentId,
      expectedDocumentTitle: question.expectedDocumentTitle,
      expectedPage: question.expectedPage,
      isDocumentPresent: present.has(question.expectedDocumentId),
      createdBy: question.createdBy,
      createdAt: question.createdAt,
      updatedAt: question.updatedAt,
      ...(isSame && outcome
        ? {
            latest: {
              rank: outcome.rank,
              chunkId: outcome.chunkId,
              versionId: outcome.versionId,
              pageNumber: outcome.pageNumber,
              pageLabel: outcome.pageLabel ?? null,
              box: outcome.box,
            },
          }
        : {}),
    };
  });
  return {
    settings: { k: settings.k, depth: settings.depth, alertDrop: settings.alertDrop },
    questions: views,
    runs: runs.map(summarizeRun),
    pending: pending ? summarizeRun(pending) : null,
    latest: latestDone ? summarizeRun(latestDone) : null,
    alert: latestDone?.isAlert ? alertOf(latestDone, runs) : null,
  };
}

function alertOf(run: GoldenRun, runs: readonly GoldenRun[]): GoldenAlertView {
  const previous = runs.find((candidate) => candidate.id === run.previousRunId);
  const k = run.k ?? 0;
  const change =
    previous?.outcomes && run.outcomes ? compareGoldenRuns(previous.outcomes, run.outcomes, k) : undefined;
  return {
    runId: run.id,
    trigger: run.trigger,
    k,
    recallAtK: run.recallAtK ?? 0,
    previousRecallAtK: previous?.recallAtK ?? null,
    drop: run.alertDrop ?? change?.drop ?? 0,
    lostQuestionIds: change?.lostQuestionIds ?? [],
    modelIds: run.modelIds ?? null,
    previousModelIds: previous?.modelIds ?? null,
    finishedAt: run.finishedAt,
  };
}
