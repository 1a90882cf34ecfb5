import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { listAuditEvents } from "../../db/queries/audit-events";
import { createCollection } from "../../db/queries/collections";
import { claimNextGoldenRun, listGoldenRuns } from "../../db/queries/golden-runs";
import type { GoldenRun } from "../../db/schema";
import { verifyLedger } from "../../lib/audit/verify-ledger";
import { loadConfig } from "../../lib/config";
import { deleteDocuments } from "../../lib/documents/delete-documents";
import { readGoldenFigures } from "../../lib/golden/golden-figures";
import { getGoldenOverview } from "../../lib/golden/golden-overview";
import { GoldenRunner } from "../../lib/golden/golden-runner";
import {
  addGoldenQuestion,
  editGoldenQuestion,
  removeGoldenQuestion,
} from "../../lib/golden/manage-golden-questions";
import { requestGoldenRun } from "../../lib/golden/queue-golden-run";
import { createLogger, type LogLevel } from "../../lib/observability/log";
import { renderMetrics } from "../../lib/observability/metrics";
import { createFolio, type Folio } from "../../lib/runtime";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { writeTinyCrossEncoder } from "../fixtures/builders/tiny-cross-encoder";
import { uploadTo } from "../support/instrumented-folio";
import { createFreshPostgresDatabase } from "../support/test-database";
import { buildTestModels, testModelEnvironment } from "../support/test-models";
import { createTestFolio, drainQueue, type TestFolio } from "../support/test-runtime";

/**
 * Golden questions through the real pipeline: PGlite or PostgreSQL, LanceDB in a temp dir, the
 * tiny ONNX embedder. Questions go through Folio's own retrieval; runs are queued by the index
 * changing and by a model change, and run by the runner the worker process starts.
 */
const loggerKey = Symbol.for("folio.logger");
const holder = globalThis as unknown as Record<symbol, unknown>;
const previousLogger = holder[loggerKey];
afterEach(() => {
  holder[loggerKey] = previousLogger;
});

function captureLogs() {
  const lines: { record: Record<string, unknown>; level: LogLevel }[] = [];
  holder[loggerKey] = createLogger({
    format: "json",
    write: (line, level) => lines.push({ record: JSON.parse(line) as Record<string, unknown>, level }),
  });
  return lines;
}

const pdf = (...pages: string[]) => buildTextPdf({ pages: pages.map((text) => [text]) });

let folio: TestFolio;

beforeAll(async () => {
  folio = await createTestFolio({ environment: { GOLDEN_DEBOUNCE_SECONDS: "0", GOLDEN_K: "3" } });
  console.info(`golden-questions runs on ${folio.database.driver}`);
});
afterAll(async () => folio?.close());

async function runsOf(collectionId: string): Promise<GoldenRun[]> {
  return listGoldenRuns({ db: folio.database.db, collectionId });
}

/** Runs the queued golden run (there must be one runnable) and returns it. */
async function runQueued(): Promise<GoldenRun> {
  const result = await folio.golden.runOnce();
  if (result?.state !== "done") throw new Error(`no run done: ${JSON.stringify(result)}`);
  return result.run;
}

describe("golden questions", () => {
  let collectionId: string;
  let upload: ReturnType<typeof uploadTo>;
  const documentIds: Record<string, string> = {};
  const questionIds: Record<string, string> = {};

  it("measure recall@k through the real retrieval, the expected page included", async () => {
    const db = folio.database.db;
    ({
      collection: { id: collectionId },
    } = await createCollection({ db, name: "handbook" }));
    upload = uploadTo(folio, collectionId);
    for (const [name, bytes] of [
      ["lockers.pdf", pdf("Lockers are emptied every Friday evening by the caretaker.")],
      ["canteen.pdf", pdf("The canteen serves lentil soup and fresh bread on Mondays.")],
      [
        "visitors.pdf",
        pdf(
          "Visitors sign the register at reception and wear a badge.",
          "Visitor parking is behind the warehouse, bays twelve to twenty.",
        ),
      ],
    ] as const) {
      documentIds[name] = (await upload(name, bytes)).documentId;
    }
    await drainQueue(folio);
    // No questions yet: indexing queued nothing.
    expect(await runsOf(collectionId)).toEqual([]);
    await expect(requestGoldenRun(db, { collectionId, actor: "curator" })).rejects.toMatchObject({
      code: "conflict:golden_run",
    });

    for (const [key, question, document, page] of [
      ["lockers", "When are the lockers emptied by the caretaker?", "lockers.pdf", null],
      ["canteen", "What soup does the canteen serve on Mondays?", "canteen.pdf", null],
      ["parking", "Where is visitor parking, which bays?", "visitors.pdf", 2],
    ] as const) {
      const added = await addGoldenQuestion(db, "curator", {
        collectionId,
        question,
        documentId: documentIds[document] ?? "",
        page,
      });
      questionIds[key] = added.id;
    }
    const queued = await requestGoldenRun(db, { collectionId, actor: "curator" });
    expect(queued).toMatchObject({ state: "queued", trigger: "manual", requestedBy: "curator" });

    const run = await runQueued();
    expect(run).toMatchObject({
      state: "done",
      trigger: "manual",
      k: 3,
      depth: 20,
      questionCount: 3,
      hitCount: 3,
      recallAtK: 1,
      recallAtDepth: 1,
      isAlert: false,
      previousRunId: null,
      modelIds: { embedder: "onnx:tiny-embedder", reranker: null },
    });
    const parking = run.outcomes?.find((outcome) => outcome.questionId === questionIds.parking);
    expect(parking).toMatchObject({
      expectedPage: 2,
      pageNumber: 2,
      expectedDocumentId: documentIds["visitors.pdf"],
    });
    expect(parking?.rank).toBeGreaterThanOrEqual(1);
    expect(await folio.golden.runOnce()).toBeUndefined();

    const events = (await listAuditEvents({ db })).filter((event) => event.action.startsWith("golden_"));
    expect(events.map((event) => event.action)).toEqual([
      "golden_question.create",
      "golden_question.create",
      "golden_question.create",
    ]);
    const payload = JSON.parse(events[2]?.payload ?? "{}") as Record<string, unknown>;
    expect(payload).toMatchObject({ collectionId, expectedPage: 2, questionId: questionIds.parking });
    expect(events[2]?.payload).not.toContain("visitor parking");
  });

  it("a page that does not exist, or a document of another collection, is refused", async () => {
    const db = folio.database.db;
    const { collection: other } = await createCollection({ db, name: "other" });
    const otherDocument = (await uploadTo(folio, other.id)("other.pdf", pdf("Another collection.")))
      .documentId;
    await drainQueue(folio);
    await expect(
      addGoldenQuestion(db, "curator", {
        collectionId,
        question: "Which page?",
        documentId: documentIds["visitors.pdf"] ?? "",
        page: 3,
      }),
    ).rejects.toMatchObject({ code: "invalid:page_number" });
    await expect(
      addGoldenQuestion(db, "curator", { collectionId, question: "Elsewhere?", documentId: otherDocument }),
    ).rejects.toMatchObject({ code: "not_found:document" });
    // A question is found only through its own collection.
    await expect(
      editGoldenQuestion(db, "curator", {
        collectionId: other.id,
        questionId: questionIds.lockers ?? "",
        question: "Moved?",
        documentId: otherDocument,
      }),
    ).rejects.toMatchObject({ code: "not_found:golden_question" });
    await expect(
      removeGoldenQuestion(db, "curator", { collectionId: other.id, questionId: questionIds.lockers ?? "" }),
    ).rejects.toMatchObject({ code: "not_found:golden_question" });
    expect(await runsOf(other.id)).toEqual([]);
  });

  it("indexing a document queues a re-index run that waits for the collection's jobs, and one run covers a batch", async () => {
    documentIds["badges.pdf"] = (
      await upload("badges.pdf", pdf("Badges are renewed every January at the security desk."))
    ).documentId;
    await upload("keys.pdf", pdf("Spare keys are kept in the caretaker's office."));
    // Queued by nothing yet: only a finished index change queues a run.
    expect((await runsOf(collectionId)).filter((run) => run.state === "queued")).toEqual([]);
    expect(await folio.ingest.worker.runOnce()).toMatchObject({ state: "succeeded" });
    const queued = (await runsOf(collectionId)).filter((run) => run.state === "queued");
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ trigger: "reindex", requestedBy: "system" });
    // The other document still waits for its job: the run waits too.
    expect(await folio.golden.runOnce()).toBeUndefined();
    await drainQueue(folio);
    expect((await runsOf(collectionId)).filter((run) => run.state === "queued")).toHaveLength(1);
    // Within its debounce (GOLDEN_DEBOUNCE_SECONDS) after the last change, a re-index run waits.
    const patient = new GoldenRunner({
      db: folio.database.db,
      retrieval: async () => ({
        dependencies: { db: folio.database.db, ...(await folio.embeddingParts()) },
        modelIds: { embedder: "onnx:tiny-embedder", reranker: null },
      }),
      k: 3,
      depth: 20,
      alertDrop: 0,
      debounceMs: 60_000,
    });
    expect(await patient.runOnce()).toBeUndefined();
    const run = await runQueued();
    expect(run).toMatchObject({ trigger: "reindex", recallAtK: 1, isAlert: false });
    expect(run.previousRunId).not.toBeNull();
  });

  it("deleting the expected document makes recall drop: the run alerts, audited, logged and counted", async () => {
    const db = folio.database.db;
    const lines = captureLogs();
    await deleteDocuments(
      { db, store: await folio.store(), blobs: folio.blobs, derived: folio.derived },
      { actor: "curator", target: { documentId: documentIds["canteen.pdf"] ?? "" } },
    );
    const run = await runQueued();
    expect(run).toMatchObject({ trigger: "reindex", hitCount: 2, isAlert: true });
    expect(run.recallAtK).toBeCloseTo(2 / 3);
    expect(run.alertDrop).toBeCloseTo(1 / 3);
    expect(run.outcomes?.find((outcome) => outcome.questionId === questionIds.canteen)?.rank).toBeNull();

    const alert = (await listAuditEvents({ db })).filter((event) => event.action === "golden_run.alert");
    expect(alert).toHaveLength(1);
    expect(alert[0]).toMatchObject({ actor: "system", subject: `golden_run:${run.id}` });
    expect(JSON.parse(alert[0]?.payload ?? "{}")).toMatchObject({
      collectionId,
      runId: run.id,
      previousRecallAtK: 1,
      commonQuestionCount: 3,
      lostQuestionIds: [questionIds.canteen],
    });
    const logged = lines.find((line) => line.record.msg === "golden questions: recall dropped");
    expect(logged?.level).toBe("warn");
    expect(logged?.record).toMatchObject({
      collectionId,
      runId: run.id,
      lostQuestionIds: [questionIds.canteen],
    });

    const { body } = await renderMetrics({ goldenFigures: () => readGoldenFigures(db) });
    expect(body).toMatch(new RegExp(`folio_golden_alerts_total\\{collection_id="${collectionId}"\\} 1`));
    expect(body).toMatch(new RegExp(`folio_golden_alert\\{collection_id="${collectionId}"\\} 1`));
    expect(body).toMatch(
      new RegExp(`folio_golden_recall\\{collection_id="${collectionId}",k="3"\\} 0\\.666`),
    );

    const overview = await getGoldenOverview(db, folio.config.golden, collectionId);
    expect(overview.alert).toMatchObject({
      runId: run.id,
      previousRecallAtK: 1,
      lostQuestionIds: [questionIds.canteen],
    });
    expect(overview.questions.find((question) => question.id === questionIds.canteen)).toMatchObject({
      isDocumentPresent: false,
      expectedDocumentTitle: "canteen.pdf",
      latest: { rank: null },
    });
    expect(overview.runs.map((summary) => summary.recallAtK)).toEqual([run.recallAtK, 1, 1]);
    expect((await verifyLedger(db)).isIntact).toBe(true);
  });

  it("questions added or changed since the previous run never raise the alert by themselves", async () => {
    const db = folio.database.db;
    // A question nothing answers lowers recall, but the previous run never asked it.
    await addGoldenQuestion(db, "curator", {
      collectionId,
      question: "What is the airspeed of an unladen swallow?",
      documentId: documentIds["lockers.pdf"] ?? "",
      page: 1,
    });
    await editGoldenQuestion(db, "curator", {
      collectionId,
      questionId: questionIds.canteen ?? "",
      question: "When are badges renewed?",
      documentId: documentIds["badges.pdf"] ?? "",
    });
    await requestGoldenRun(db, { collectionId, actor: "curator" });
    const run = await runQueued();
    expect(run.isAlert).toBe(false);
    expect(run.questionCount).toBe(4);
    const actions = (await listAuditEvents({ db })).map((event) => event.action);
    expect(actions.filter((action) => action === "golden_question.update")).toHaveLength(1);
    await removeGoldenQuestion(db, "curator", { collectionId, questionId: questionIds.parking ?? "" });
    expect((await listAuditEvents({ db })).at(-1)).toMatchObject({
      action: "golden_question.delete",
      actor: "curator",
    });
    const overview = await getGoldenOverview(db, folio.config.golden, collectionId);
    expect(overview.alert).toBeNull();
    expect(overview.questions).toHaveLength(3);
  });

  it("a run whose worker died is taken over when its lease runs out, and given up after three attempts", async () => {
    const db = folio.database.db;
    const claimDead = () => claimNextGoldenRun({ db, leaseMs: 1, quietMs: 0, maxAttempts: 3 });
    await requestGoldenRun(db, { collectionId, actor: "curator" });
    const dead = await claimDead();
    expect(dead).toMatchObject({ state: "running", attempts: 1 });
    await sleep(20);
    const takenOver = await folio.golden.runOnce();
    expect(takenOver).toMatchObject({ state: "done", runId: dead?.id, run: { attempts: 2, isAlert: false } });

    await requestGoldenRun(db, { collectionId, actor: "curator" });
    let crashing: GoldenRun | undefined;
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      crashing = await claimDead();
      expect(crashing?.attempts).toBe(attempt);
      await sleep(20);
    }
    expect(await folio.golden.runOnce()).toBeUndefined();
    expect((await runsOf(collectionId)).find((run) => run.id === crashing?.id)).toMatchObject({
      state: "failed",
      errorCode: "internal:worker_crashed",
    });
  });
});

describe("a model change", () => {
  it("queues a run for each collection whose last run used other models, when the worker starts", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "folio-golden-models-"));
    const database = await createFreshPostgresDatabase("folio_golden");
    const models = await buildTestModels(path.join(dataDir, "models"));
    const renamedEmbedder = path.join(dataDir, "models", "tiny-embedder-v2");
    await cp(models.embedderDir, renamedEmbedder, { recursive: true });
    const reranker = await writeTinyCrossEncoder(path.join(dataDir, "models", "tiny-reranker"), {
      labels: ["LABEL_0"],
    });
    const environment = {
      DATA_DIR: dataDir,
      DATABASE_URL: database?.url,
      ...testModelEnvironment(models, path.join(dataDir, "models")),
      PARSE_TIMEOUT_MS: "30000",
      GOLDEN_DEBOUNCE_SECONDS: "0",
    };
    let first: Folio | undefined;
    let second: Folio | undefined;
    try {
      first = await createFolio(loadConfig(environment), { log: () => {} });
      const db = first.database.db;
      const { collection } = await createCollection({ db, name: "models" });
      const lockers = await first.ingest.accept({
        collectionId: collection.id,
        fileName: "lockers.pdf",
        body: (async function* () {
          yield pdf("Lockers are emptied every Friday evening by the caretaker.");
        })(),
      });
      await drainQueue(first);
      await addGoldenQuestion(db, "curator", {
        collectionId: collection.id,
        question: "When are the lockers emptied?",
        documentId: lockers.documentId,
      });
      await requestGoldenRun(db, { collectionId: collection.id, actor: "curator" });
      expect(await first.golden.runOnce()).toMatchObject({ state: "done" });
      await first.close();
      first = undefined;

      // The same data, the same weights under another name (another embedder id), and a reranker.
      const changed = { ...environment, EMBEDDING_MODEL: renamedEmbedder, RERANK_MODEL: reranker.directory };
      second = await createFolio(loadConfig(changed), {
        startIngestWorker: true,
        log: () => {},
      });
      const opened = second;
      await expect
        .poll(
          async () =>
            (await listGoldenRuns({ db: opened.database.db, collectionId: collection.id })).find(
              (run) => run.trigger === "model_change" && run.state === "done",
            ),
          { timeout: 20_000, interval: 200 },
        )
        .toMatchObject({
          modelIds: { embedder: "onnx:tiny-embedder-v2", reranker: "onnx:tiny-reranker" },
          recallAtK: 1,
          isAlert: false,
        });
      // Started again with the same models, nothing new is queued.
      expect(
        await second.golden.queueRunsForModelChange({
          embedder: "onnx:tiny-embedder-v2",
          reranker: "onnx:tiny-reranker",
        }),
      ).toEqual([]);
    } finally {
      await first?.close();
      await second?.close();
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
