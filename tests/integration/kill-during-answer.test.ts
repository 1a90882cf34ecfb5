import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createCollection } from "../../db/queries/collections";
import { answerSources, answers, auditEvents } from "../../db/schema";
import { verifyLedger } from "../../lib/audit/verify-ledger";
import { loadConfig } from "../../lib/config";
import { createFolio } from "../../lib/runtime";
import { sha256Hex } from "../../lib/text/sha256-hex";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { createFreshPostgresDatabase } from "../support/test-database";
import { buildTestModels, testModelEnvironment } from "../support/test-models";
import { bytesOf, drainQueue } from "../support/test-runtime";

/**
 * kill -9 of the process answering a question, at random points from retrieval to the record:
 * the answer is recorded whole (row, passages and ledger event, matching) or not at all, and the
 * ledger verifies. On PGlite the killed process owns the database, as `npm start` does.
 */
const killCount = 8;
let environment: Record<string, string>;
let collectionId: string;
let dropDatabase: () => Promise<void> = async () => {};

beforeAll(async () => {
  const dataDir = path.join(process.cwd(), "test-output", `kill-answer-${process.pid}`);
  const models = await buildTestModels(path.join(dataDir, "models"));
  const database = await createFreshPostgresDatabase("folio_kill_answer");
  if (database) dropDatabase = database.drop;
  environment = {
    DATA_DIR: dataDir,
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...testModelEnvironment(models, path.join(dataDir, "models")),
  };
  const folio = await createFolio(loadConfig(environment), { log: () => {} });
  try {
    collectionId = (await createCollection({ db: folio.database.db, name: "answers" })).collection.id;
    for (let index = 0; index < 3; index += 1) {
      const pages = [
        [`Turbine ${index} at the north site was inspected; its blade ${index + 4} showed wear.`],
      ];
      await folio.ingest.accept({
        collectionId,
        fileName: `turbine-${index}.pdf`,
        body: bytesOf(buildTextPdf({ pages })),
      });
    }
    await drainQueue(folio);
  } finally {
    await folio.close();
  }
}, 180_000);

afterAll(async () => dropDatabase());

function ask(question: string): { child: ChildProcess; lines: string[] } {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "tests/support/answer-process.ts", collectionId, question],
    { env: { ...process.env, ...environment }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const lines: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) =>
    lines.push(...chunk.toString("utf8").split("\n").filter(Boolean)),
  );
  child.stderr?.on("data", (chunk: Buffer) => lines.push(chunk.toString("utf8")));
  return { child, lines };
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });

async function waitForLine(lines: string[], line: string, child: ChildProcess): Promise<void> {
  while (!lines.includes(line)) {
    if (child.exitCode !== null) throw new Error(`exited before "${line}":\n${lines.join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

it("an answer killed part-way is recorded whole or not at all, and the ledger verifies", async () => {
  // One answer uninterrupted: how long asking takes here, to spread the kills over it.
  const whole = ask("Which blade of turbine 1 showed wear?");
  await waitForLine(whole.lines, "asking", whole.child);
  const startedAt = performance.now();
  await waitForLine(whole.lines, "answered", whole.child);
  const answerMs = performance.now() - startedAt;
  await exited(whole.child);

  const questions: string[] = [];
  const seen: string[][] = [];
  for (let kill = 0; kill < killCount; kill += 1) {
    const question = `Which blade of turbine ${kill % 3} showed wear? (${kill})`;
    questions.push(question);
    const asker = ask(question);
    await waitForLine(asker.lines, "asking", asker.child);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * answerMs * 1.2));
    asker.child.kill("SIGKILL");
    await exited(asker.child);
    seen.push(asker.lines.filter((line) => line.startsWith("event ")));
  }

  const folio = await createFolio(loadConfig(environment), { log: () => {} });
  try {
    const { db } = folio.database;
    expect(await verifyLedger(db)).toMatchObject({ isIntact: true });
    for (const [index, question] of questions.entries()) {
      const rows = await db.select().from(answers).where(eq(answers.question, question));
      expect(rows.length, question).toBeLessThanOrEqual(1);
      // The reader saw the end only of an answer that was recorded.
      if (seen[index]?.includes("event answer-end")) expect(rows, question).toHaveLength(1);
      const [row] = rows;
      if (!row) continue;
      expect(row.status).toBe("complete");
      const [event] = await db
        .select()
        .from(auditEvents)
        .where(eq(auditEvents.subject, `answer:${row.id}`));
      expect(event, `ledger event of ${question}`).toBeDefined();
      const payload = JSON.parse(event?.payload ?? "{}") as {
        questionSha256: string;
        answerSha256: string;
        chunks: unknown[];
      };
      expect(payload.questionSha256).toBe(sha256Hex(row.question));
      expect(payload.answerSha256).toBe(sha256Hex(row.answer));
      const kept = await db.select().from(answerSources).where(eq(answerSources.answerId, row.id));
      expect(kept).toHaveLength(payload.chunks.length);
    }
    const recorded = await db.select({ id: answers.id }).from(answers);
    const events = await db.select().from(auditEvents).where(eq(auditEvents.action, "answer.create"));
    expect(events).toHaveLength(recorded.length);
    console.info(
      `kill during answer: ${killCount} kills over ${answerMs.toFixed(0)} ms answers; ` +
        `${recorded.length - 1} of them recorded whole, the rest not at all`,
    );
  } finally {
    await folio.close();
  }
}, 300_000);
