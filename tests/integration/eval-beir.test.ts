import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OnnxReranker } from "../../lib/embeddings/onnx-reranker";
import { readBeirDataset } from "../../lib/evaluation/beir-dataset";
import { type BeirEvaluation, runBeirEvaluation } from "../../scripts/eval/beir-eval";
import { runEval } from "../../scripts/eval/run-eval";
import { writeTinyCrossEncoder } from "../fixtures/builders/tiny-cross-encoder";
import { createTestFolio, type TestFolio } from "../support/test-runtime";

const runFile = promisify(execFile);

/** A dozen documents on distinct subjects; queries whose words only their relevant documents hold. */
const corpus = [
  {
    _id: "d1",
    title: "Zebra migration",
    text: "Zebra herds migrate across the plains every year. The zebra migration follows the rain.",
  },
  {
    _id: "d2",
    title: "Plains grazing",
    text: "Grazing animals share the plains; a zebra is seen there at times.",
  },
  {
    _id: "d3",
    title: "Volcano eruptions",
    text: "Magma rises through the crust and a volcano erupts with ash and lava.",
  },
  { _id: "d4", title: "Coral reefs", text: "Coral reefs grow in warm shallow water and shelter many fish." },
  {
    _id: "d5",
    title: "Glacier retreat",
    text: "A glacier melts back as summers warm; moraines mark where the ice stood.",
  },
  {
    _id: "d6",
    title: "Honey bees",
    text: "Bees dance to tell the hive where nectar lies. Pollen feeds the larvae.",
  },
  {
    _id: "d7",
    title: "Desert dunes",
    text: "Wind shapes sand into dunes that walk slowly across the desert.",
  },
  {
    _id: "d8",
    title: "Tidal pools",
    text: "Starfish and anemones live in tidal pools left by the falling sea.",
  },
  { _id: "d9", title: "Owl hunting", text: "Owls hunt at night, hearing mice move beneath the snow." },
  { _id: "d10", title: "Bamboo growth", text: "Bamboo shoots can grow almost a metre in a single day." },
  {
    _id: "d11",
    title: "Lightning storms",
    text: "Lightning heats the air so fast that thunder cracks across the valley.",
  },
  {
    _id: "d12",
    title: "Salmon runs",
    text: "Salmon swim upstream to spawn in the gravel beds where they hatched.",
  },
];
const queries = [
  { _id: "q1", text: "zebra migration" },
  { _id: "q2", text: "volcano magma eruption" },
  { _id: "q3", text: "bees nectar hive" },
  { _id: "q4", text: "salmon spawn upstream" },
  { _id: "q5", text: "a query nobody judged" },
];
/** Graded: d1 is about zebra migration (2), d2 mentions a zebra (1). */
const qrels = [
  ["q1", "d1", 2],
  ["q1", "d2", 1],
  ["q2", "d3", 1],
  ["q3", "d6", 1],
  ["q4", "d12", 1],
];

let directory: string;
let datasetDir: string;
let folio: TestFolio;
let evaluation: BeirEvaluation;

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-eval-beir-"));
  datasetDir = path.join(directory, "tiny");
  await mkdir(path.join(datasetDir, "qrels"), { recursive: true });
  const jsonLines = (rows: object[]) => rows.map((row) => JSON.stringify(row)).join("\n");
  await writeFile(path.join(datasetDir, "corpus.jsonl"), jsonLines(corpus));
  await writeFile(path.join(datasetDir, "queries.jsonl"), jsonLines(queries));
  await writeFile(
    path.join(datasetDir, "qrels", "test.tsv"),
    ["query-id\tcorpus-id\tscore", ...qrels.map((row) => row.join("\t"))].join("\n"),
  );
  folio = await createTestFolio();
  console.info(`eval-beir runs on ${folio.database.driver}`);
  const dataset = await readBeirDataset(datasetDir);
  evaluation = await runBeirEvaluation(folio, dataset, { modes: ["text", "vector", "hybrid"] });
}, 120_000);

afterAll(async () => {
  await folio?.close();
  await rm(directory, { recursive: true, force: true });
});

describe("npm run eval -- --beir", () => {
  it("ingests every document through the pipeline and scores the judged queries only", () => {
    expect(evaluation).toMatchObject({ dataset: "tiny", documentCount: 12, queryCount: 4 });
    expect(evaluation.ingest.failures).toEqual([]);
    expect(evaluation.ingest.chunks).toBeGreaterThanOrEqual(12);
  });

  it("gives figures for every mode, next to BM25 and LanceDB over whole documents", () => {
    expect(evaluation.rows.map((row) => row.system)).toEqual([
      "Folio text",
      "Folio vector",
      "Folio hybrid",
      "BM25 (wink-bm25-text-search, whole documents)",
      "LanceDB full-text, whole documents (no chunking)",
    ]);
    for (const row of evaluation.rows) {
      expect(row.queryCount).toBe(4);
      for (const value of [row.ndcgAt10, row.recallAt100, row.mrrAt10]) {
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(1);
      }
    }
  });

  it("ranks trivially matching documents perfectly in full-text mode, as both references do", () => {
    for (const system of ["Folio text", "BM25", "LanceDB"]) {
      const row = evaluation.rows.find((candidate) => candidate.system.startsWith(system));
      expect(row, system).toMatchObject({ ndcgAt10: 1, recallAt100: 1, mrrAt10: 1 });
    }
  });

  it("with a reranker, adds reranked rows whose deep list (recall@100) is the store's", async () => {
    const model = await writeTinyCrossEncoder(path.join(directory, "tiny-reranker"), { labels: ["LABEL_0"] });
    const reranker = await OnnxReranker.create({ modelDir: model.directory, threads: 1 });
    try {
      const dataset = await readBeirDataset(datasetDir);
      const reranked = await runBeirEvaluation(folio, dataset, { modes: ["text"], reranker });
      const [plain, rerankedRow] = reranked.rows;
      expect([plain?.system, rerankedRow?.system]).toEqual(["Folio text", "Folio text + rerank"]);
      expect(rerankedRow?.recallAt100).toBe(plain?.recallAt100);
      expect(rerankedRow?.ndcgAt10).toBeGreaterThan(0);
    } finally {
      await reranker.dispose();
    }
  }, 60_000);

  it("refuses a directory that is not a BEIR data set, naming the missing file (exit code 2)", async () => {
    const messages: string[] = [];
    const code = await runEval(["--beir", path.join(directory, "absent")], {
      environment: {},
      err: (line) => messages.push(line),
    });
    expect(code).toBe(2);
    expect(messages.join("\n")).toMatch(/invalid:evaluation_data: .*absent\/corpus\.jsonl is missing/);
  });

  it("names the file and line of a malformed line", async () => {
    const broken = path.join(directory, "broken");
    await mkdir(path.join(broken, "qrels"), { recursive: true });
    await writeFile(path.join(broken, "corpus.jsonl"), '{"_id": "d1", "text": "fine"}\n{"title": "no id"}\n');
    await writeFile(path.join(broken, "queries.jsonl"), '{"_id": "q1", "text": "fine"}\n');
    await writeFile(path.join(broken, "qrels", "test.tsv"), "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
    await expect(readBeirDataset(broken)).rejects.toMatchObject({
      code: "invalid:evaluation_data",
      message: expect.stringMatching(/corpus\.jsonl:2: _id/),
    });
  });

  it("refuses bad arguments with the usage (exit code 64), and --rerank without RERANK_MODEL (exit code 2)", async () => {
    const messages: string[] = [];
    const err = (line: string) => messages.push(line);
    expect(await runEval(["--beir", datasetDir, "--mode", "fuzzy"], { environment: {}, err })).toBe(64);
    expect(messages.join("\n")).toMatch(/--mode takes text, vector, hybrid or all[\s\S]*Usage:/);
    messages.length = 0;
    const environment = { MODELS_DIR: path.join(directory, "models") };
    expect(
      await runEval(["--beir", datasetDir, "--rerank", "--embedder", "test"], { environment, err }),
    ).toBe(2);
    expect(messages.join("\n")).toMatch(/--rerank needs a reranking model: set RERANK_MODEL/);
  }, 60_000);

  it("exits with code 2 from the command line on a bad directory", async () => {
    const failed = await runFile(
      "npx",
      ["tsx", "scripts/eval.ts", "--beir", path.join(directory, "absent")],
      {
        cwd: process.cwd(),
      },
    ).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringMatching(/corpus\.jsonl is missing/) });
  }, 60_000);
});
