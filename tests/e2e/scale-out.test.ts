import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { readEvents } from "../support/api";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

/**
 * The docker-compose layout without Docker: `npm run db:migrate`, a web node with
 * INGEST_WORKER=off, and two separate `npm run worker` processes sharing PostgreSQL.
 */
const hasPostgres = Boolean(process.env.DATABASE_URL);
if (!hasPostgres)
  console.warn("[skip] scale-out: separate worker processes need PostgreSQL (set DATABASE_URL)");

const modelsDir = path.join(process.cwd(), "test-output", "models-scale-out");
let server: StartedFolioServer;
const workers: ChildProcess[] = [];

function runTsx(script: string, environment: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", script], {
    env: { ...process.env, ...environment },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

beforeAll(async () => {
  if (!hasPostgres) return;
  const models = await buildTestModels(modelsDir);
  server = await startFolioServer({ ...testModelEnvironment(models, modelsDir), INGEST_WORKER: "off" });
  const migrate = runTsx("scripts/migrate.ts", server.environment);
  expect(await new Promise((resolve) => migrate.once("exit", resolve))).toBe(0);
  for (let index = 0; index < 2; index += 1)
    workers.push(runTsx("ingest/worker-main.ts", server.environment));
});

afterAll(async () => {
  for (const worker of workers) worker.kill("SIGTERM");
  await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once("exit", resolve))));
  await server?.stop();
});

it.skipIf(!hasPostgres)(
  "a web node without a worker queues uploads that separate workers index exactly once",
  async () => {
    const api = server.admin;
    const collectionId = await api.createCollection("scale-out");
    const files = Array.from({ length: 6 }, (_, index) =>
      buildTextPdf({
        pages: [
          [`Report ${index}: the warehouse ${index} inventory counts ${index * 7} pallets of copper wire.`],
        ],
      }),
    );
    for (const [index, file] of files.entries()) {
      expect((await api.upload(collectionId, `report-${index}.pdf`, file)).status).toBe(202);
    }
    const jobs = await api.waitForJobs(collectionId);
    expect(jobs.map((job) => job.state)).toEqual(Array(6).fill("succeeded"));
    expect(jobs.every((job) => job.chunkCount === 1)).toBe(true);

    const events = await readEvents(await api.ask({ question: "warehouse 3 copper wire pallets" }));
    expect(events.at(-1)?.type).toBe("answer-end");
  },
);
