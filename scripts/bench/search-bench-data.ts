import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { link, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { describeVectorIndexConfig } from "../../lib/vector-store/ann-index";
import { LanceDbStore, toRow } from "../../lib/vector-store/lancedb-store";
import type { ChunkWithVector } from "../../lib/vector-store/vector-store";

/**
 * The search benchmark's synthetic chunk table: real text (sentences of SciFact abstracts and
 * FinanceBench filings), vectors of the embedder's dimension drawn around topics (documents near
 * their topic, chunks near their document, so a query has true near neighbours and ANN recall
 * means something), and collections of uneven size that each lean to topics of their own.
 * Deterministic for a given size, dimension and collection count; cached under bench-data/.
 */
export interface SearchBenchDataOptions {
  rows: number;
  dims: number;
  collections: number;
  /** FOLIO_CORPUS_DIR, else ../shared/corpus. */
  corpusDir: string;
  /** bench-data/search by default. */
  cacheDir: string;
}

export interface SearchBenchData {
  uri: string;
  /** The table without a vector index (with the full-text and collection indexes). */
  tableName: string;
  rows: number;
  dims: number;
  collectionIds: string[];
  collectionRows: number[];
  topics: number;
  /** What the chunk text came from (a note when the corpus was absent). */
  textSource: string;
  queryTexts: string[];
  generationSeconds: number;
}

/** Bump when the generated table changes, so caches of the old layout are not reused. */
const generatorVersion = 2;
export const seed = 20_261_203;
const batchRows = 25_000;
/**
 * Vectors are built at four scales, each a random direction of this length added to the one above
 * (a topic is a unit vector): document, section (a run of 3–8 chunks), chunk. Cosine similarity is
 * then ~0.94 within a section, ~0.8 within a document, ~0.5 within a topic and ~0 across topics,
 * like a sentence embedder's spread, so the nearest ten are not a tie among equals.
 */
const documentNoise = 0.8;
const sectionNoise = 0.5;
const chunkNoise = 0.35;
/** A collection draws this share of its documents from its own topics, the rest from any. */
const topicLoyalty = 0.8;

/** A small fast seeded generator (sfc32), so every run builds the same table. */
export function createRandom(streamSeed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = streamSeed >>> 0;
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    const result = (t + d) | 0;
    c = (c + result) | 0;
    return (result >>> 0) / 4_294_967_296;
  };
  for (let index = 0; index < 12; index += 1) next();
  return next;
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** `base + scale × (a random unit direction)`; normalized to length 1 when `isUnit`. */
export function perturb(
  base: Float32Array,
  scale: number,
  random: () => number,
  isUnit = true,
): Float32Array {
  const noise = Float32Array.from({ length: base.length }, () => gaussian(random));
  const noiseNorm = Math.hypot(...noise) || 1;
  const vector = base.map((value, index) => value + (scale * (noise[index] ?? 0)) / noiseNorm);
  if (!isUnit) return vector;
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}

function topicCentres(topics: number, dims: number): Float32Array[] {
  const random = createRandom(seed + 1);
  return Array.from({ length: topics }, () => perturb(new Float32Array(dims), 1, random));
}

const hex = (random: () => number, length: number) =>
  Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join("");
const uuidFrom = (random: () => number) =>
  `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-8${hex(random, 3)}-${hex(random, 12)}`;

/** Topics scale with the table (a larger library covers more subjects): one per ~500 chunks. */
export const topicCount = (rows: number) => Math.max(50, Math.round(rows / 500));

/** Each topic has a home collection; a collection's own topics are those whose home it is. */
function topicsByCollection(topics: number, collections: number): number[][] {
  const own = Array.from({ length: collections }, () => [] as number[]);
  for (let topic = 0; topic < topics; topic += 1) own[topic % collections]?.push(topic);
  return own;
}

/** Collection sizes fall off like a Zipf law: a few large, many small. */
function collectionWeights(collections: number): number[] {
  const weights = Array.from({ length: collections }, (_, rank) => 1 / (rank + 1) ** 0.8);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  return weights.map((weight) => weight / total);
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** Sentences of SciFact abstracts and FinanceBench pages; a generated vocabulary without the corpus. */
async function loadText(
  corpusDir: string,
): Promise<{ sentences: string[]; queries: string[]; source: string }> {
  const scifact = path.join(corpusDir, "retrieval", "scifact");
  const financebench = path.join(corpusDir, "qa", "financebench", "questions.jsonl");
  const sentences: string[] = [];
  const queries: string[] = [];
  const split = (text: string) =>
    text
      .split(/(?<=[.!?])\s+|\n+/)
      .map((sentence) => sentence.trim())
      .filter((sentence) => sentence.length >= 30 && sentence.length <= 400);
  const jsonLines = async (file: string) =>
    (await readFile(file, "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  if (existsSync(path.join(scifact, "corpus.jsonl"))) {
    for (const row of await jsonLines(path.join(scifact, "corpus.jsonl")))
      sentences.push(...split(String(row.text)));
    for (const row of await jsonLines(path.join(scifact, "queries.jsonl"))) queries.push(String(row.text));
  }
  if (existsSync(financebench)) {
    for (const row of await jsonLines(financebench)) {
      queries.push(String(row.question));
      for (const evidence of (row.evidence as Array<Record<string, unknown>> | undefined) ?? []) {
        sentences.push(...split(String(evidence.evidence_text_full_page ?? "")));
      }
    }
  }
  if (sentences.length > 1000 && queries.length > 0) {
    return {
      sentences: [...new Set(sentences)],
      queries,
      source: `SciFact and FinanceBench text from ${corpusDir}`,
    };
  }
  console.log(
    `[search] note: no corpus text under ${corpusDir}; chunks get generated English-like text instead`,
  );
  const random = createRandom(seed + 2);
  const vocabulary = Array.from({ length: 5000 }, () =>
    Array.from(
      { length: 3 + Math.floor(random() * 8) },
      () => "etaoinshrdlucmfwypvbgk"[Math.floor(random() ** 2 * 22)],
    ).join(""),
  );
  const sentence = () =>
    Array.from(
      { length: 8 + Math.floor(random() * 16) },
      () => vocabulary[Math.floor(random() ** 3 * 5000)],
    ).join(" ");
  return {
    sentences: Array.from({ length: 20_000 }, () => `${sentence()}.`),
    queries: Array.from({ length: 500 }, sentence),
    source: "generated text (corpus absent)",
  };
}

/** The cached table for these options, generated (with progress) when absent. */
export async function prepareSearchBenchData(options: SearchBenchDataOptions): Promise<SearchBenchData> {
  const uri = path.join(
    options.cacheDir,
    `n${options.rows}-d${options.dims}-c${options.collections}-v${generatorVersion}`,
  );
  const manifestFile = path.join(uri, "manifest.json");
  const text = await loadText(options.corpusDir);
  if (existsSync(manifestFile)) {
    const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as SearchBenchData;
    console.log(`[search] reusing ${manifest.rows.toLocaleString("en-US")} cached chunks in ${uri}`);
    return { ...manifest, uri, queryTexts: text.queries };
  }
  await rm(uri, { recursive: true, force: true });
  await mkdir(uri, { recursive: true });
  const startedMs = performance.now();
  const tableName = "chunks";
  // The product makes the table (schema, full-text index); rows are then appended in bulk.
  await (await LanceDbStore.create({ uri, dims: options.dims, tableName })).close();
  const connection = await lancedb.connect(uri);
  const table = await connection.openTable(tableName);

  const structure = createRandom(seed + 3);
  const vectors = createRandom(seed + 4);
  const words = createRandom(seed + 5);
  const topics = topicCount(options.rows);
  const centres = topicCentres(topics, options.dims);
  const collectionIds = Array.from({ length: options.collections }, () => uuidFrom(structure));
  const weights = collectionWeights(options.collections);
  const collectionRows = new Array<number>(options.collections).fill(0);
  const chooseCollection = () => {
    let draw = structure();
    for (const [index, weight] of weights.entries()) {
      draw -= weight;
      if (draw <= 0) return index;
    }
    return options.collections - 1;
  };
  const ownTopics = topicsByCollection(topics, options.collections);

  let batch: ReturnType<typeof toRow>[] = [];
  let written = 0;
  let documentIndex = 0;
  while (written < options.rows) {
    const collection = chooseCollection();
    const own = ownTopics[collection] ?? [];
    const topic =
      own.length > 0 && structure() < topicLoyalty ? pick(own, structure) : Math.floor(structure() * topics);
    const documentVector = perturb(centres[topic] as Float32Array, documentNoise, vectors, false);
    let sectionVector = documentVector;
    const documentId = uuidFrom(structure);
    const versionId = uuidFrom(structure);
    const chunkCount = Math.min(10 + Math.floor(structure() * 81), options.rows - written);
    for (let chunkIndex = 0, sectionEnd = 0; chunkIndex < chunkCount; chunkIndex += 1) {
      if (chunkIndex === sectionEnd) {
        sectionVector = perturb(documentVector, sectionNoise, vectors, false);
        sectionEnd += 3 + Math.floor(structure() * 6);
      }
      let chunkText = "";
      while (chunkText.length < 600) chunkText += `${pick(text.sentences, words)} `;
      const chunk: ChunkWithVector = {
        id: hex(structure, 32),
        collectionId: collectionIds[collection] as string,
        documentId,
        versionId,
        chunkIndex,
        pageNumber: 1 + Math.floor(chunkIndex / 3),
        pageLabel: null,
        box: null,
        kind: "text",
        text: chunkText.trim(),
        source: "text_layer",
        confidence: null,
        headingPath: [],
        figureFile: null,
        contentHash: hex(structure, 16),
        embedderId: "search-bench",
        vector: perturb(sectionVector, chunkNoise, vectors),
      };
      batch.push(toRow(chunk));
      collectionRows[collection] = (collectionRows[collection] ?? 0) + 1;
    }
    written += chunkCount;
    documentIndex += 1;
    if (batch.length >= batchRows || written >= options.rows) {
      await table.add(batch);
      batch = [];
      const seconds = (performance.now() - startedMs) / 1000;
      console.log(
        `[search] generating: ${written.toLocaleString("en-US")} / ${options.rows.toLocaleString("en-US")} chunks ` +
          `(${documentIndex.toLocaleString("en-US")} documents), ${seconds.toFixed(0)} s`,
      );
    }
  }
  table.close();
  connection.close();

  console.log("[search] compacting and indexing text and collections (the scheduled optimize)…");
  const store = await LanceDbStore.create({ uri, dims: options.dims, tableName, ann: annOff });
  await store.optimize({ keepVersionsMs: 0 });
  await store.close();

  const data: SearchBenchData = {
    uri,
    tableName,
    rows: options.rows,
    dims: options.dims,
    collectionIds,
    collectionRows,
    topics,
    textSource: text.source,
    queryTexts: [],
    generationSeconds: Math.round((performance.now() - startedMs) / 1000),
  };
  await writeFile(manifestFile, `${JSON.stringify(data, null, 2)}\n`);
  console.log(`[search] generated in ${data.generationSeconds} s`);
  return { ...data, queryTexts: text.queries };
}

const annOff = { index: { indexType: "off" as const, minRows: 1000, retrainGrowthFactor: 2 } };

/**
 * A copy of the base table (hard links: LanceDB never rewrites a file, so the copies share the
 * data) with the vector index `indexType`, built by Folio's own scheduled-optimize path. Cached.
 */
export async function prepareIndexedTable(
  data: SearchBenchData,
  indexType: "ivf_pq" | "ivf_hnsw_sq",
): Promise<{ tableName: string; buildSeconds: number }> {
  // Named by the build parameters Folio chooses, so a change of them builds afresh.
  const parameters = describeVectorIndexConfig(indexType, data.rows, data.dims);
  const tableName = `chunks_${indexType}_${createHash("sha256").update(parameters).digest("hex").slice(0, 8)}`;
  const marker = path.join(data.uri, `${tableName}.json`);
  if (existsSync(marker))
    return JSON.parse(await readFile(marker, "utf8")) as { tableName: string; buildSeconds: number };
  const target = path.join(data.uri, `${tableName}.lance`);
  await rm(target, { recursive: true, force: true });
  await linkTree(path.join(data.uri, `${data.tableName}.lance`), target);
  console.log(
    `[search] building the ${indexType} index on ${data.rows.toLocaleString("en-US")} chunks (Folio's optimize)…`,
  );
  const store = await LanceDbStore.create({
    uri: data.uri,
    dims: data.dims,
    tableName,
    ann: { index: { indexType, minRows: 1000, retrainGrowthFactor: 2 } },
  });
  const outcome = await store.optimize({ keepVersionsMs: 0 });
  await store.close();
  const change = outcome.searchIndexes.find((candidate) => candidate.kind === "vector_index_built");
  if (change?.kind !== "vector_index_built") throw new Error(`no ${indexType} index was built`);
  const result = { tableName, buildSeconds: change.seconds };
  console.log(`[search] ${indexType} built in ${change.seconds} s`);
  await writeFile(marker, `${JSON.stringify(result)}\n`);
  return result;
}

async function linkTree(source: string, target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  for (const entry of await readdir(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name);
    const to = path.join(target, entry.name);
    if (entry.isDirectory()) await linkTree(from, to);
    else await link(from, to);
  }
}
