import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAuditEvents } from "../../db/queries/audit-events";
import { createCollection } from "../../db/queries/collections";
import { deleteDocumentRows } from "../../db/queries/documents";
import { startAnswer } from "../../lib/answer/start-answer";
import { loadConfig } from "../../lib/config";
import { OnnxReranker } from "../../lib/embeddings/onnx-reranker";
import { loadReranker } from "../../lib/retrieval/load-reranker";
import { type RetrievedPassage, retrieveContext } from "../../lib/retrieval/retrieve-context";
import { passageTextOf } from "../../lib/text/passage-text";
import {
  computeTinyCrossEncoderLogits,
  computeTinyCrossEncoderLogitsOfIds,
  type TinyCrossEncoder,
  writeTinyCrossEncoder,
} from "../fixtures/builders/tiny-cross-encoder";
import { buildWordPieceTokenizerJson } from "../fixtures/builders/tiny-embedding-model";
import { uploadTo } from "../support/instrumented-folio";
import { createTestFolio, drainQueue, type TestFolio } from "../support/test-runtime";

/**
 * RERANK_MODEL end to end on real parts: a one-logit cross-encoder built here (the shape of
 * ms-marco-MiniLM / bge-reranker: a text pair in, one logit out) loaded through the model
 * directory machinery and run by onnxruntime, Markdown documents ingested by the real pipeline
 * into LanceDB, and retrieval through `folio.retrievalParts()` — what /api/search and /api/ask use.
 */
let directory: string;
let model: TinyCrossEncoder;
/** RERANK_MODEL set, rescoring RERANK_CANDIDATES=4 hits. */
let folio: TestFolio;
let ready: { allowed: string; other: string };

const topics: Array<[heading: string, text: string]> = [
  ["Site safety", "Visitors receive a helmet at the gate and return it when they leave."],
  ["Fire drills", "The alarm sounds twice a year and everyone walks to the car park."],
  ["Canteen", "Lunch is served from noon until two in the main hall."],
  ["Parking", "Cars park in zone seven; bicycles go in the shed by the gate."],
  ["Helmets", "Helmets are checked every month and replaced after any impact."],
  ["First aid", "Kits hang beside each door and the nurse visits on Tuesdays."],
  ["Deliveries", "Trucks unload at the north dock between six and nine in the morning."],
  ["Visitors", "A guest signs the book, wears a badge and stays with a host."],
  ["Noise", "Ear protection is worn near the press and the saws."],
  ["Cleaning", "Floors are swept at night and spills are reported at once."],
];
const questions = [
  "where do visitors get a helmet",
  "when is lunch served",
  "what happens during a fire drill",
  "who checks the helmets",
  "where do trucks unload",
];

/**
 * A passage the tiny model scores above every handbook passage for `question`: one word of the
 * handbook, repeated (the graph averages token embeddings, so the best word alone wins).
 */
function favouriteText(question: string): string {
  const words = [
    ...new Set(
      topics.flatMap(([heading, text]) => `${heading} ${text}`.toLowerCase().match(/[a-z]+/g) ?? []),
    ),
  ];
  const candidates = words.map((word) => Array.from({ length: 24 }, () => word).join(" "));
  const scoreOf = (text: string) => computeTinyCrossEncoderLogits(model, question, text)[0] ?? 0;
  return candidates.reduce((best, text) => (scoreOf(text) > scoreOf(best) ? text : best));
}

/** Uploads a Markdown document to `target`'s collection. */
function upload(target: TestFolio, collectionId: string, fileName: string, markdown: string) {
  return uploadTo(target, collectionId)(fileName, new TextEncoder().encode(markdown));
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-reranker-"));
  model = await writeTinyCrossEncoder(path.join(directory, "tiny-reranker"), { labels: ["LABEL_0"] });
  folio = await createTestFolio({
    environment: {
      RERANK_MODEL: model.directory,
      RERANK_CANDIDATES: "4",
      ANSWER_MIN_EVIDENCE: "0",
    },
  });
  console.info(`reranker runs on ${folio.database.driver}`);
  const { db } = folio.database;
  const allowed = (await createCollection({ db, name: "site" })).collection.id;
  const other = (await createCollection({ db, name: "other" })).collection.id;
  // Two documents of five sections: each section is a passage with the heading path [Handbook, section].
  for (const part of [0, 1]) {
    const sections = topics
      .slice(part * 5, part * 5 + 5)
      .map(([heading, text]) => `## ${heading}\n\n${text}\n`);
    await upload(folio, allowed, `handbook-${part}.md`, `# Handbook\n\n${sections.join("\n")}`);
  }
  await upload(folio, other, "secret.md", `${favouriteText(questions[0] ?? "")}\n`);
  await drainQueue(folio);
  ready = { allowed, other };
});

afterAll(async () => {
  await folio?.close();
  await rm(directory, { recursive: true, force: true });
});

/** Every passage of the collections in the store's order, without reranking. */
async function storeOrder(question: string, collectionIds: string[], limit = 50) {
  const { reranker: _, ...parts } = await folio.retrievalParts();
  return retrieveContext({ db: folio.database.db, ...parts }, { question, collectionIds, limit });
}

async function reranked(question: string, collectionIds: string[], limit: number) {
  return retrieveContext(
    { db: folio.database.db, ...(await folio.retrievalParts()) },
    {
      question,
      collectionIds,
      limit,
    },
  );
}

/** What the tiny model gives (question, passage) when computed by hand. */
const expectedScore = (question: string, passage: RetrievedPassage) =>
  computeTinyCrossEncoderLogits(model, question, passageTextOf(passage))[0] ?? 0;

describe("the reranker model", () => {
  it("is loaded from RERANK_MODEL and scores (question, passage) pairs as onnxruntime computes the graph, in batches", async () => {
    const { reranker, rerankCandidates } = await folio.retrievalParts();
    expect(reranker?.id).toBe("onnx:tiny-reranker");
    expect(rerankCandidates).toBe(4);
    const passages = topics.map(([, text]) => text);
    const scores = (await reranker?.score(questions[0] ?? "", passages)) ?? [];
    expect(scores).toHaveLength(passages.length);
    passages.forEach((passage, index) => {
      const [logit = Number.NaN] = computeTinyCrossEncoderLogits(model, questions[0] ?? "", passage);
      expect(scores[index]).toBeCloseTo(logit, 4);
    });
    // One pair at a time gives what the padded batch gave.
    const [alone] = (await reranker?.score(questions[0] ?? "", [passages[3] ?? ""])) ?? [];
    expect(alone).toBeCloseTo(scores[3] ?? Number.NaN, 5);
  });

  it("refuses an NLI cross-encoder (three labels) as a reranker, with a load failure that says why", async () => {
    const nli = await writeTinyCrossEncoder(path.join(directory, "nli"), {
      labels: ["contradiction", "entailment", "neutral"],
    });
    await expect(
      loadReranker(loadConfig({ DATA_DIR: directory, MODELS_DIR: directory, RERANK_MODEL: nli.directory })),
    ).rejects.toMatchObject({ code: "unavailable:reranker_load_failed", message: /one relevance logit/ });
  });

  it("cuts a long passage first and keeps the question whole (RERANK_MAX_TOKENS)", async () => {
    const reranker = await OnnxReranker.create({
      modelDir: model.directory,
      threads: 1,
      maxSequenceLength: 48,
    });
    try {
      const question = "where do visitors get a helmet";
      const long = topics.map(([, text]) => text).join(" ");
      const [score] = await reranker.score(question, [long]);
      // 48 tokens: [CLS] question [SEP] passage [SEP]; the question (≤ half of 45) whole, the passage the rest.
      const tokenizer = new Tokenizer(buildWordPieceTokenizerJson(model.vocabulary), {});
      const encode = (text: string) => tokenizer.encode(text, { add_special_tokens: false }).ids;
      const [cls, sep] = [model.vocabulary.indexOf("[CLS]"), model.vocabulary.indexOf("[SEP]")];
      const questionIds = encode(question);
      expect(questionIds.length).toBeLessThanOrEqual(22);
      const passageIds = encode(long).slice(0, 45 - questionIds.length);
      const ids = [cls, ...questionIds, sep, ...passageIds, sep];
      const types = ids.map((_, index) => (index < questionIds.length + 2 ? 0 : 1));
      expect(ids).toHaveLength(48);
      const [expected = Number.NaN] = computeTinyCrossEncoderLogitsOfIds(model, ids, types);
      expect(score).toBeCloseTo(expected, 4);
    } finally {
      await reranker.dispose();
    }
  });
});

describe("retrieval with RERANK_MODEL", () => {
  it("rescores only the first RERANK_CANDIDATES hits and returns the best of them in the reranker's order", async () => {
    // A question for which a passage outside the first 4 hits would win if every passage were scored.
    let chosen: { question: string; firstHits: RetrievedPassage[]; outsider: RetrievedPassage } | undefined;
    for (const question of questions) {
      const all = await storeOrder(question, [ready.allowed]);
      const firstHits = all.slice(0, 4);
      const secondBest = firstHits
        .map((passage) => expectedScore(question, passage))
        .sort((a, b) => b - a)[1];
      const outsider = all.slice(4).find((passage) => expectedScore(question, passage) > (secondBest ?? 0));
      if (outsider) {
        chosen = { question, firstHits, outsider };
        break;
      }
    }
    if (!chosen) throw new Error("no question has a better passage outside the first hits");
    const { question, firstHits, outsider } = chosen;

    const result = await reranked(question, [ready.allowed], 2);
    const expected = [...firstHits]
      .sort((a, b) => expectedScore(question, b) - expectedScore(question, a))
      .slice(0, 2);
    expect(result.map((passage) => passage.chunkId)).toEqual(expected.map((passage) => passage.chunkId));
    expect(result.map((passage) => passage.chunkId)).not.toContain(outsider.chunkId);
    for (const passage of result) {
      // The passage is read with its heading path, as the embedder read it.
      expect(passage.headingPath).toEqual(["Handbook", expect.any(String)]);
      expect(passage.rerankScore).toBeCloseTo(expectedScore(question, passage), 4);
    }
    expect(result[0]?.rerankScore ?? 0).toBeGreaterThanOrEqual(result[1]?.rerankScore ?? 0);
  });

  it("never brings back a passage of a collection the asker may not read, or of a document deleted meanwhile", async () => {
    const question = questions[0] ?? "";
    const secret = (await storeOrder(question, [ready.other]))[0];
    if (!secret) throw new Error("the other collection has no passage");
    const allowedScores = (await storeOrder(question, [ready.allowed])).map((passage) =>
      expectedScore(question, passage),
    );
    // The other collection's passage is the one the reranker would rank first if it ever saw it.
    expect(expectedScore(question, secret)).toBeGreaterThan(Math.max(...allowedScores));
    const result = await reranked(question, [ready.allowed], 3);
    expect(result).toHaveLength(3);
    expect(result.every((passage) => passage.documentId !== secret.documentId)).toBe(true);

    // The best passage's document row goes; its chunks are still in the index (deleted meanwhile).
    const best = result[0];
    if (!best) throw new Error("no passage");
    await deleteDocumentRows({ db: folio.database.db, where: { documentId: best.documentId } });
    const after = await reranked(question, [ready.allowed], 3);
    // Its chunks still take candidate places; what is left of the 4 candidates is returned.
    expect(after.length).toBeGreaterThan(0);
    expect(after.map((passage) => passage.documentId)).not.toContain(best.documentId);
  });

  it("names the reranker in the answer's audit record", async () => {
    const events: string[] = [];
    for await (const event of await startAnswer(folio, {
      question: questions[1] ?? "",
      collectionIds: [ready.allowed],
      actor: "tester",
    })) {
      events.push(event.type);
    }
    expect(events).toContain("answer-end");
    const ledger = await listAuditEvents({ db: folio.database.db });
    const answer = ledger.filter((event) => event.action === "answer.create").at(-1);
    expect(JSON.parse(answer?.payload ?? "{}").model).toMatchObject({
      embedderId: expect.any(String),
      rerankerId: "onnx:tiny-reranker",
    });
  });
});

describe("without a usable RERANK_MODEL", () => {
  it("reports a missing model with the command that fetches it, and searches in the store's order", async () => {
    const missing = await createTestFolio({ environment: { RERANK_MODEL: "ms-marco-minilm-l6-v2" } });
    try {
      const status = await missing.modelStatus();
      const reranker = status.find((entry) => entry.kind === "reranker");
      expect(reranker).toMatchObject({
        isReady: false,
        problem: {
          code: "unavailable:reranker_missing",
          command: "npm run models -- pull ms-marco-minilm-l6-v2",
          message: expect.stringContaining(path.join(missing.dataDir, "models", "ms-marco-MiniLM-L6-v2")),
        },
      });
      const parts = await missing.retrievalParts();
      expect(parts.reranker).toBeNull();
      const { db } = missing.database;
      const collectionId = (await createCollection({ db, name: "site" })).collection.id;
      const sections = topics.slice(0, 5).map(([heading, text]) => `## ${heading}\n\n${text}\n`);
      await upload(missing, collectionId, "handbook.md", `# Handbook\n\n${sections.join("\n")}`);
      await drainQueue(missing);
      const request = { question: questions[0] ?? "", collectionIds: [collectionId], limit: 3 };
      const withParts = await retrieveContext({ db, ...parts }, request);
      const plain = await retrieveContext({ db, ...(await missing.embeddingParts()) }, request);
      expect(withParts).toEqual(plain);
      expect(withParts).toHaveLength(3);
      expect(withParts.every((passage) => passage.rerankScore === undefined)).toBe(true);
    } finally {
      await missing.close();
    }
  });

  it("reports a model that does not load (a broken graph) as reranker_load_failed", async () => {
    const broken = path.join(directory, "broken");
    await writeTinyCrossEncoder(broken, { labels: ["LABEL_0"] });
    await writeFile(path.join(broken, "onnx", "model.onnx"), "not an onnx graph");
    await expect(
      loadReranker(loadConfig({ DATA_DIR: directory, MODELS_DIR: directory, RERANK_MODEL: broken })),
    ).rejects.toMatchObject({ code: "unavailable:reranker_load_failed", message: /RERANK_MODEL=/ });
    const empty = path.join(directory, "empty");
    await mkdir(empty, { recursive: true });
    await expect(
      loadReranker(loadConfig({ DATA_DIR: directory, MODELS_DIR: directory, RERANK_MODEL: empty })),
    ).rejects.toMatchObject({ code: "unavailable:reranker_missing" });
  });

  it("is off by default: RERANK_MODEL unset loads no reranker", async () => {
    const config = loadConfig({ DATA_DIR: directory, MODELS_DIR: directory });
    expect(config.rerank).toEqual({ model: undefined, candidates: 20, maxTokens: undefined });
    expect(await loadReranker(config)).toBeNull();
  });
});
