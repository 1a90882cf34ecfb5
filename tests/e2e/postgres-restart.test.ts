import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openDatabase } from "../../db/client";
import { answers } from "../../db/schema";
import { verifyLedger } from "../../lib/audit/verify-ledger";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { readEvents } from "../support/api";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";
import {
  type PrivatePostgres,
  postgresBinDirectory,
  startPrivatePostgres,
} from "../support/private-postgres";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

/**
 * PostgreSQL restarted under a running Folio (web node with its in-process worker): requests get
 * 503 with Retry-After while it is down, jobs resume once it is back, and nothing is lost. The
 * server is this test's own, so stopping it disturbs no other test.
 */
const hasServerPrograms = Boolean(await postgresBinDirectory());
if (!hasServerPrograms)
  console.warn("[skip] postgres-restart: no PostgreSQL server programs on this machine");

const modelsDir = path.join(process.cwd(), "test-output", "models-postgres-restart");
let postgres: PrivatePostgres;
let server: StartedFolioServer;

beforeAll(async () => {
  if (!hasServerPrograms) return;
  postgres = await startPrivatePostgres();
  const models = await buildTestModels(modelsDir);
  server = await startFolioServer(
    {
      ...testModelEnvironment(models, modelsDir),
      DATABASE_URL: postgres.url,
      // A job whose worker lost its database mid-write is taken over soon after it returns.
      INGEST_LEASE_SECONDS: "2",
    },
    { usePostgres: false },
  );
});

afterAll(async () => {
  await server?.stop();
  await postgres?.destroy();
});

const report = (index: number) =>
  buildTextPdf({
    pages: Array.from({ length: 4 }, (_, page) => [
      `Plant ${index}, page ${page + 1}: boiler ${index}-${page} was serviced and its pressure valve replaced.`,
    ]),
  });

it.skipIf(!hasServerPrograms)(
  "while PostgreSQL restarts: 503 with Retry-After, then every job resumes and nothing is lost",
  async () => {
    const api = server.admin;
    const collectionId = await api.createCollection("restart");
    for (let index = 0; index < 6; index += 1) {
      expect((await api.upload(collectionId, `plant-${index}.pdf`, report(index))).status).toBe(202);
    }

    await postgres.stop();
    const listing = await api.request(`/api/jobs?collectionId=${collectionId}`);
    expect(listing.status, await listing.clone().text()).toBe(503);
    expect(Number(listing.headers.get("retry-after"))).toBeGreaterThan(0);
    const refused = await api.upload(collectionId, "plant-late.pdf", report(99));
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).not.toBeNull();
    await postgres.start();

    // The refused upload left nothing: retried, it is accepted like a new one.
    expect((await api.upload(collectionId, "plant-late.pdf", report(99))).status).toBe(202);
    const jobs = await api.waitForJobs(collectionId);
    expect(jobs.map((job) => job.state)).toEqual(Array(7).fill("succeeded"));
    expect(jobs.every((job) => job.chunkCount === 4)).toBe(true);
  },
);

it.skipIf(!hasServerPrograms)(
  "an answer cut by a PostgreSQL restart is recorded whole or not at all, and the ledger verifies",
  async () => {
    const api = server.admin;
    const question = "Which valve was replaced on boiler 3-2?";
    const response = await api.ask({ question });
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    const first = await reader?.read();
    expect(first?.done).toBe(false);
    await postgres.stop();
    let rest = new TextDecoder().decode(first?.value);
    for (let piece = await reader?.read(); piece && !piece.done; piece = await reader?.read()) {
      rest += new TextDecoder().decode(piece.value);
    }
    await postgres.start();

    const cut = (await readEvents(new Response(rest))).at(-1);
    // Recorded whole before the database went away, or not at all and the reader was told.
    const wasRecorded = cut?.type === "answer-end";
    if (!wasRecorded) expect(cut?.type).toBe("error");
    const after = await api.ask({ question });
    expect((await readEvents(after)).at(-1)?.type).toBe("answer-end");

    const handle = await openDatabase({ databaseUrl: postgres.url, pgliteDir: undefined, migrate: false });
    try {
      const recorded = await handle.db.select().from(answers).where(eq(answers.question, question));
      expect(recorded.map((answer) => answer.status)).toEqual(
        wasRecorded ? ["complete", "complete"] : ["complete"],
      );
      expect(await verifyLedger(handle.db)).toMatchObject({ isIntact: true });
    } finally {
      await handle.close();
    }
  },
);
