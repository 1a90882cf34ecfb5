import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Tokenizer } from "@huggingface/tokenizers";
import * as ort from "onnxruntime-node";
import { createCollection } from "../../db/queries/collections";
import { listDocumentVersions } from "../../db/queries/documents";
import { createPdfProcessPool } from "../../ingest/pdf/pdf-process-pool";
import { chunkIdOf } from "../../lib/domain/chunk-id";
import { writeBertShapedModel } from "../../tests/fixtures/builders/bert-shaped-model";
import { readGgufTokens, wordPieceFromGgufTokens } from "../../tests/fixtures/builders/gguf-vocabulary";
import { buildTextPdf } from "../../tests/fixtures/builders/pdf";
import { writeTinyEmbeddingModel } from "../../tests/fixtures/builders/tiny-embedding-model";
import { bytesOf, createTestFolio, type TestFolio } from "../../tests/support/test-runtime";
import { drainQueue, warmUpIngest } from "./bench-folio";
import { writeBenchReport } from "./bench-report";
import { type CorpusPdf, listCorpusPdfs, timePdftotext } from "./corpus";
import { printTable } from "./table";

const runFile = promisify(execFile);
const roundTo = (value: number, digits: number) => Number(value.toFixed(digits));

/**
 * The issue-6 ingest figures on the FinanceBench filings, each next to its reference in the same
 * run: the parse stage (the pdf.js pool) against `pdftotext`; ingest end to end with the tiny
 * test embedder; end to end with a bge-small-shaped embedder against raw onnxruntime running the
 * same model on the same passages; and the ingest process's peak memory on a 1,000-page PDF.
 */
export async function runDocumentsBench(options: {
  bgeLayers: number;
  bgePages: number;
}): Promise<Record<string, unknown>> {
  const corpusDir = process.env.FOLIO_CORPUS_DIR ?? path.resolve("../shared/corpus");
  const files = await listCorpusPdfs(path.join(corpusDir, "qa", "financebench", "pdfs"));
  const pages = files.reduce((sum, file) => sum + file.pageCount, 0);
  const loadBefore = loadavg()[0] ?? 0;
  console.log(
    `\n[ingest] FinanceBench: ${files.length} PDFs, ${pages} pages (pdfinfo); ${availableParallelism()} cores`,
  );

  const pdftotextMs = await timePdftotext(files);
  const pdftotextPagesPerSecond = pages / (pdftotextMs / 1000);
  console.log(
    `[ingest] pdftotext: ${pdftotextMs.toFixed(0)} ms (${pdftotextPagesPerSecond.toFixed(1)} pages/s)`,
  );

  const parse = await measureParseStage(files);
  console.log(
    `[ingest] parse stage: ${parse.ms.toFixed(0)} ms (${parse.pagesPerSecond.toFixed(1)} pages/s), ${parse.ocrPages} pages routed to OCR`,
  );

  const tiny = await measureEndToEnd(files);
  console.log(
    `[ingest] end to end (tiny embedder): ${tiny.ms.toFixed(0)} ms (${tiny.pagesPerSecond.toFixed(1)} pages/s), ${tiny.chunks} passages`,
  );

  // The smallest filings: a 12-layer embedder is slow on 2 cores, and fixed costs (a parser
  // start, the OCR engine) must not dominate, so at least `bgePages` pages.
  const smallest: CorpusPdf[] = [];
  for (const file of [...files].sort((a, b) => a.pageCount - b.pageCount)) {
    if (smallest.reduce((sum, chosen) => sum + chosen.pageCount, 0) >= options.bgePages) break;
    smallest.push(file);
  }
  const bge = await measureBgeShaped(smallest, options.bgeLayers);
  console.log(
    `[ingest] end to end (bge-small-shaped, ${options.bgeLayers} layers): ${bge.folioChunksPerSecond.toFixed(2)} passages/s; raw onnxruntime ${bge.rawChunksPerSecond.toFixed(2)} passages/s (overhead ${(bge.overhead * 100).toFixed(1)} %)`,
  );

  const memory = await measureThousandPages();
  console.log(
    `[ingest] 1,000-page PDF: ingest process peak RSS ${memory.ingestProcessPeakRssMb} MB, parser child ${memory.parserChildPeakRssMb} MB`,
  );

  const figures = {
    files: files.length,
    pages,
    pdftotextMs: roundTo(pdftotextMs, 0),
    pdftotextPagesPerSecond: roundTo(pdftotextPagesPerSecond, 1),
    parseMs: roundTo(parse.ms, 0),
    parsePagesPerSecond: roundTo(parse.pagesPerSecond, 1),
    parseShareOfPdftotext: roundTo(parse.pagesPerSecond / pdftotextPagesPerSecond, 3),
    ocrPages: parse.ocrPages,
    endToEndMs: roundTo(tiny.ms, 0),
    endToEndPagesPerSecond: roundTo(tiny.pagesPerSecond, 1),
    endToEndChunks: tiny.chunks,
    bgeLayers: options.bgeLayers,
    bgeFiles: bge.files,
    bgeChunks: bge.chunks,
    bgeFolioChunksPerSecond: roundTo(bge.folioChunksPerSecond, 2),
    bgeRawChunksPerSecond: roundTo(bge.rawChunksPerSecond, 2),
    bgeOverhead: roundTo(bge.overhead, 3),
    thousandPages: memory,
    loadAverageBefore: roundTo(loadBefore, 2),
    loadAverageAfter: roundTo(loadavg()[0] ?? 0, 2),
  };
  const rows = [
    [
      "parse stage (pdf.js pool, routing, layout)",
      `${figures.parsePagesPerSecond} pages/s`,
      `pdftotext ${figures.pdftotextPagesPerSecond} pages/s`,
      `${(figures.parseShareOfPdftotext * 100).toFixed(0)} % of pdftotext`,
    ],
    [
      "end to end, tiny test embedder, bge vocabulary (incl. OCR of routed pages)",
      `${figures.endToEndPagesPerSecond} pages/s`,
      "—",
      `${figures.endToEndChunks} passages`,
    ],
    [
      `end to end, bge-small-shaped embedder (${bge.files} files)`,
      `${figures.bgeFolioChunksPerSecond} passages/s`,
      `raw onnxruntime ${figures.bgeRawChunksPerSecond} passages/s`,
      `overhead ${(figures.bgeOverhead * 100).toFixed(1)} %`,
    ],
    [
      "1,000-page PDF: peak RSS of the ingest process",
      `${memory.ingestProcessPeakRssMb} MB`,
      "—",
      `parser child ${memory.parserChildPeakRssMb} MB`,
    ],
  ];
  printTable("Ingest on FinanceBench", ["measure", "Folio", "reference", "ratio"], rows);
  await writeBenchReport({
    name: "ingest",
    title: `Ingest: FinanceBench filings (${files.length} PDFs, ${pages} pages)`,
    reference:
      "poppler's `pdftotext` on the same files; raw onnxruntime on the same passages with the same model",
    columns: ["measure", "Folio", "reference", "ratio"],
    rows,
    goals: [
      {
        goal: "parse stage ≥ 1/3 of pdftotext's pages/s",
        measured: `${(figures.parseShareOfPdftotext * 100).toFixed(0)} %`,
        met: figures.parseShareOfPdftotext >= 1 / 3,
      },
      {
        goal: "end to end with the tiny test embedder ≥ 100 pages/s",
        measured: `${figures.endToEndPagesPerSecond} pages/s`,
        met: figures.endToEndPagesPerSecond >= 100,
      },
      {
        goal: "bge-small-shaped end to end: overhead ≤ 15 % over raw onnxruntime",
        measured: `${(figures.bgeOverhead * 100).toFixed(1)} %`,
        met: figures.bgeOverhead <= 0.15,
      },
      {
        goal: "peak RSS of the ingest process ≤ 1 GB on a 1,000-page PDF",
        measured: `${memory.ingestProcessPeakRssMb} MB`,
        met: memory.ingestProcessPeakRssMb <= 1024,
      },
    ],
    charts: [
      {
        title: "Pages per second on the FinanceBench filings",
        unit: "pages/s",
        bars: [
          { label: "pdftotext (text only)", value: figures.pdftotextPagesPerSecond, reference: true },
          { label: "Folio parse stage", value: figures.parsePagesPerSecond },
          { label: "Folio end to end (tiny embedder)", value: figures.endToEndPagesPerSecond },
        ],
      },
      {
        title: "Passages per second, bge-small-shaped embedder",
        unit: "passages/s",
        bars: [
          { label: "raw onnxruntime", value: figures.bgeRawChunksPerSecond, reference: true },
          { label: "Folio end to end", value: figures.bgeFolioChunksPerSecond },
        ],
      },
    ],
    notes: [
      `${figures.ocrPages} of ${pages} pages were read by OCR as a whole (pages without a text layer that render blank or with only rules are skipped); end to end also includes the OCR of figures (charts, logos) that have no text layer.`,
      `Load average before/after: ${figures.loadAverageBefore} / ${figures.loadAverageAfter} on ${availableParallelism()} cores.`,
    ],
  });
  return figures;
}

/** The pdf.js pool alone (text layer, routing, layout, figure crops), OCR tasks counted but not run. */
async function measureParseStage(files: readonly CorpusPdf[]) {
  const pool = createPdfProcessPool({ processes: availableParallelism() });
  const work = await mkdtemp(path.join(tmpdir(), "folio-bench-parse-"));
  try {
    // Warm: children started and pdf.js loaded before the clock starts.
    const [first] = files;
    if (first)
      for await (const _ of (await pool.read(first.filePath, { figureDirectory: null, workDirectory: work }))
        .pages);
    const startedAt = performance.now();
    let pagesRead = 0;
    let ocrPages = 0;
    for (const file of files) {
      const stream = await pool.read(file.filePath, { figureDirectory: work, workDirectory: work });
      for await (const message of stream.pages) {
        pagesRead++;
        if (message.page.route === "ocr") ocrPages++;
      }
    }
    const ms = performance.now() - startedAt;
    return { ms, pagesPerSecond: pagesRead / (ms / 1000), ocrPages };
  } finally {
    await pool.dispose();
    await rm(work, { recursive: true, force: true });
  }
}

async function ingestAll(folio: TestFolio, files: readonly CorpusPdf[]) {
  const { collection } = await createCollection({ db: folio.database.db, name: `bench-${Date.now()}` });
  // Warm, as a running server is: models loaded, both parser children started (a 14-page PDF)
  // and the OCR engine up (a scanned page), before the clock starts.
  const corpusPdfs = path.join(process.env.FOLIO_CORPUS_DIR ?? path.resolve("../shared/corpus"), "pdfs");
  await warmUpIngest(folio, path.join(corpusPdfs, "pdfjs", "tracemonkey.pdf"));
  await warmUpIngest(folio, path.join(corpusPdfs, "ocrmypdf-resources", "linn.pdf"));
  const startedAt = performance.now();
  const versions: string[] = [];
  for (const file of files) {
    const accepted = await folio.ingest.accept({
      collectionId: collection.id,
      fileName: file.name,
      body: bytesOf(new Uint8Array(await readFile(file.filePath))),
    });
    versions.push(accepted.versionId);
  }
  await drainQueue(folio);
  return { ms: performance.now() - startedAt, collectionId: collection.id, versions };
}

/** Ingest end to end, warm, with the tiny embedder and a real vocabulary. */
async function measureEndToEnd(files: readonly CorpusPdf[]) {
  const modelDir = await writeTinyModelWithBgeVocabulary();
  const folio = await createTestFolio({
    environment: { MODEL_THREADS: String(availableParallelism()), EMBEDDING_MODEL: modelDir },
    usePostgres: false,
  });
  try {
    const { ms, collectionId } = await ingestAll(folio, files);
    const pages = files.reduce((sum, file) => sum + file.pageCount, 0);
    const rows = await listDocumentVersions({ db: folio.database.db, collectionIds: [collectionId] });
    const chunks = rows.reduce((sum, row) => sum + (row.version.chunkCount ?? 0), 0);
    return { ms, pagesPerSecond: pages / (ms / 1000), chunks };
  } finally {
    await folio.close();
    await rm(modelDir, { recursive: true, force: true });
  }
}

/**
 * The tiny test embedder (64 wide, one layer) with bge's real 30,522-token vocabulary and 512
 * positions: the network costs next to nothing, while passages are cut as a real model's would
 * be (the tests' toy vocabulary spells most words letter by letter: 23 passages a page).
 */
async function writeTinyModelWithBgeVocabulary(): Promise<string> {
  const modelDir = await mkdtemp(path.join(tmpdir(), "folio-bench-tiny-"));
  const vocabulary = await bgeVocabulary();
  await writeTinyEmbeddingModel(modelDir, { dims: 64, variant: "token", maxSequenceLength: 512, vocabulary });
  return modelDir;
}

/** bge's WordPiece vocabulary from ../shared/models (undefined, so the toy one, where it is missing). */
function bgeVocabulary(): Promise<string[] | undefined> {
  const vocabularyFile = path.resolve("../shared/models/vocab/ggml-vocab-bert-bge.gguf");
  return readGgufTokens(vocabularyFile).then(wordPieceFromGgufTokens, () => undefined);
}

/**
 * Ingest with an embedder of bge-small's shape (random weights, same cost), then raw
 * onnxruntime on exactly the passages Folio embedded (with their heading paths), batched the same way.
 */
async function measureBgeShaped(files: readonly CorpusPdf[], layers: number) {
  const modelDir = await mkdtemp(path.join(tmpdir(), "folio-bench-bge-"));
  const vocabulary = await bgeVocabulary();
  const model = await writeBertShapedModel(modelDir, { layers, vocabulary, output: "last_hidden_state" });
  const folio = await createTestFolio({
    environment: { MODEL_THREADS: String(availableParallelism()), EMBEDDING_MODEL: modelDir },
    usePostgres: false,
  });
  try {
    const { ms, collectionId, versions } = await ingestAll(folio, files);
    const store = await folio.store();
    const texts: string[] = [];
    const { embeddingTextOf } = await import("../../ingest/stages/embed-chunks");
    const rows = await listDocumentVersions({ db: folio.database.db, collectionIds: [collectionId] });
    for (const versionId of versions) {
      const count = rows.find((row) => row.version.id === versionId)?.version.chunkCount ?? 0;
      const chunkIds = Array.from({ length: count }, (_, index) => chunkIdOf(versionId, index));
      const chunks = await store.getChunks({ collectionIds: [collectionId], chunkIds });
      texts.push(...chunks.map((chunk) => embeddingTextOf(chunk)));
    }
    const rawMs = await timeRawOnnx(modelDir, model.graphPath, texts);
    const folioChunksPerSecond = texts.length / (ms / 1000);
    const rawChunksPerSecond = texts.length / (rawMs / 1000);
    return {
      files: files.length,
      chunks: texts.length,
      folioChunksPerSecond,
      rawChunksPerSecond,
      overhead: rawChunksPerSecond / folioChunksPerSecond - 1,
    };
  } finally {
    await folio.close();
    await rm(modelDir, { recursive: true, force: true });
  }
}

/** `session.run` alone over the texts, tokenised up front, sorted by length, in batches of 32. */
async function timeRawOnnx(modelDir: string, graphPath: string, texts: string[]): Promise<number> {
  const tokenizer = new Tokenizer(
    JSON.parse(await readFile(path.join(modelDir, "tokenizer.json"), "utf8")),
    JSON.parse(await readFile(path.join(modelDir, "tokenizer_config.json"), "utf8")),
  );
  const sequences = texts
    .map((text) => tokenizer.encode(text).ids.slice(0, 512))
    .sort((a, b) => a.length - b.length);
  const session = await ort.InferenceSession.create(graphPath, {
    executionProviders: ["cpu"],
    intraOpNumThreads: availableParallelism(),
  });
  const withTokenTypes = session.inputNames.includes("token_type_ids");
  const feedsOf = (batch: number[][]) => {
    const width = Math.max(...batch.map((sequence) => sequence.length));
    const ids = new BigInt64Array(batch.length * width);
    const mask = new BigInt64Array(batch.length * width);
    for (const [row, sequence] of batch.entries()) {
      for (const [column, id] of sequence.entries()) {
        ids[row * width + column] = BigInt(id);
        mask[row * width + column] = 1n;
      }
    }
    const shape = [batch.length, width];
    return {
      input_ids: new ort.Tensor("int64", ids, shape),
      attention_mask: new ort.Tensor("int64", mask, shape),
      ...(withTokenTypes
        ? { token_type_ids: new ort.Tensor("int64", new BigInt64Array(batch.length * width), shape) }
        : {}),
    };
  };
  const batches: number[][][] = [];
  for (let start = 0; start < sequences.length; start += 32) batches.push(sequences.slice(start, start + 32));
  const [first] = batches;
  if (first) await session.run(feedsOf(first));
  const startedAt = performance.now();
  for (const batch of batches) await session.run(feedsOf(batch));
  const ms = performance.now() - startedAt;
  await session.release();
  return ms;
}

/**
 * A 1,000-page text PDF ingested in a child process, whose own peak RSS is the figure, with the
 * same tiny embedder as end to end, into a database created beforehand (see rss-probe.ts).
 */
async function measureThousandPages() {
  const directory = await mkdtemp(path.join(tmpdir(), "folio-bench-1000-"));
  const modelDir = await writeTinyModelWithBgeVocabulary();
  try {
    const paragraph =
      "Revenue grew in every segment during the year, driven by volume and price; operating margin improved as costs fell. ";
    const file = path.join(directory, "thousand-pages.pdf");
    await writeFile(
      file,
      buildTextPdf({
        pages: Array.from({ length: 1000 }, (_, index) => [
          `Section ${index + 1}`,
          paragraph.repeat(12),
          paragraph.repeat(8),
        ]),
      }),
    );
    const probe = (argument: string) =>
      runFile(process.execPath, ["--import", "tsx", "scripts/bench/rss-probe.ts", argument], {
        maxBuffer: 16 * 1024 * 1024,
        env: {
          ...process.env,
          MODEL_THREADS: String(availableParallelism()),
          BENCH_EMBEDDING_MODEL: modelDir,
          BENCH_DATA_DIR: path.join(directory, "data"),
        },
      });
    // The database is created first, in a process of its own: a server ingests after its first start.
    await probe("--prepare");
    const { stdout } = await probe(file);
    const line = stdout.split("\n").find((candidate) => candidate.startsWith("RSS_PROBE "));
    if (!line) throw new Error(`rss-probe printed no result:\n${stdout.slice(-2000)}`);
    return JSON.parse(line.slice("RSS_PROBE ".length)) as {
      state: string;
      pages: number;
      chunks: number;
      ms: number;
      ingestProcessPeakRssMb: number;
      parserChildPeakRssMb: number;
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
    await rm(modelDir, { recursive: true, force: true });
  }
}
