import {
  createBenchCollection,
  createBenchFolio,
  drainQueue,
  readParserChildPeakRssMb,
  uploadFiles,
  warmUpIngest,
} from "./bench-folio";
import { writeBenchReport } from "./bench-report";
import { type CorpusPdf, timePdftotext } from "./corpus";
import { computeMedian, roundTo } from "./statistics";
import { printTable, type TableCell } from "./table";

/** How many of the smallest text PDFs the ingest figure is measured on. */
export const ingestFileCount = 20;

interface IngestRun {
  startupMs: number;
  uploadMs: number;
  ingestMs: number;
  pagesIndexed: number;
  chunksIndexed: number;
  failedFiles: string[];
  folioPagesPerSecond: number;
  pdftotextMs: number;
  pdftotextPagesPerSecond: number;
  /** Folio's pages/s divided by pdftotext's, both measured in this run. */
  ratioToPdftotext: number;
  parserChildPeakRssMb: number | null;
  modelThreads: number;
}

/**
 * Ingest throughput of born-digital PDFs through the product pipeline (worker: parse → chunk →
 * embed → index), each run in a fresh DATA_DIR, against pdftotext on the same files in the same run.
 */
export async function runIngestBench(
  files: readonly CorpusPdf[],
  runs: number,
): Promise<Record<string, unknown>> {
  const totalBytes = files.reduce((sum, file) => sum + file.byteSize, 0);
  const pdfinfoPages = files.reduce((sum, file) => sum + file.pageCount, 0);
  console.log(
    `\n[ingest] ${files.length} smallest text PDFs, ${(totalBytes / 1024).toFixed(0)} KiB, ${pdfinfoPages} pages (pdfinfo)`,
  );
  for (const file of files)
    console.log(`  ${String(file.byteSize).padStart(8)} B  ${file.pageCount} p  ${file.name}`);

  const results: IngestRun[] = [];
  for (let run = 1; run <= runs; run += 1) {
    const result = await measureIngestRun(files);
    results.push(result);
    console.log(
      `[ingest] run ${run}/${runs}: ${result.pagesIndexed} pages in ${result.ingestMs.toFixed(0)} ms ` +
        `(${result.folioPagesPerSecond.toFixed(2)} pages/s); pdftotext ${result.pdftotextMs.toFixed(0)} ms; ` +
        `startup ${result.startupMs.toFixed(0)} ms${result.failedFiles.length ? `; failed: ${result.failedFiles.join(", ")}` : ""}`,
    );
  }
  const median = (pick: (run: IngestRun) => number) => computeMedian(results.map(pick));
  const parentPeakRssMb = process.resourceUsage().maxRSS / 1024;
  const childPeaks = results.flatMap((run) =>
    run.parserChildPeakRssMb === null ? [] : [run.parserChildPeakRssMb],
  );
  const figures = {
    files: files.length,
    pages: median((run) => run.pagesIndexed),
    chunks: median((run) => run.chunksIndexed),
    failedFiles: results[0]?.failedFiles ?? [],
    folioIngestMs: roundTo(
      median((run) => run.ingestMs),
      1,
    ),
    folioPagesPerSecond: roundTo(
      median((run) => run.folioPagesPerSecond),
      2,
    ),
    pdftotextMs: roundTo(
      median((run) => run.pdftotextMs),
      1,
    ),
    pdftotextPagesPerSecond: roundTo(
      median((run) => run.pdftotextPagesPerSecond),
      2,
    ),
    ratioToPdftotext: roundTo(
      median((run) => run.ratioToPdftotext),
      4,
    ),
    uploadMs: roundTo(
      median((run) => run.uploadMs),
      1,
    ),
    startupMs: roundTo(
      median((run) => run.startupMs),
      1,
    ),
    parentPeakRssMb: roundTo(parentPeakRssMb, 1),
    parserChildPeakRssMb: childPeaks.length ? roundTo(Math.max(...childPeaks), 1) : null,
    modelThreads: results[0]?.modelThreads ?? null,
    runs,
  };
  const title = `Ingest — ${files.length} smallest text PDFs, median of ${runs} runs`;
  const columns = ["figure", "value"];
  const rows: TableCell[][] = [
    ["pages indexed", figures.pages],
    ["chunks indexed", figures.chunks],
    ["Folio ingest wall time (ms)", figures.folioIngestMs],
    ["Folio pages/s (parse→chunk→embed→index)", figures.folioPagesPerSecond],
    ["pdftotext wall time (ms)", figures.pdftotextMs],
    ["pdftotext pages/s", figures.pdftotextPagesPerSecond],
    ["ratio Folio / pdftotext (in-run)", figures.ratioToPdftotext],
    ["upload of the 20 files (ms, not in pages/s)", figures.uploadMs],
    ["startup: open DB, load models, warm parser (ms)", figures.startupMs],
    ["peak RSS, bench process (MB)", figures.parentPeakRssMb],
    ["peak RSS, pdf.js child (MB, separate process)", figures.parserChildPeakRssMb],
    ["MODEL_THREADS (embedder threads)", figures.modelThreads],
  ];
  printTable(title, columns, rows);
  await writeBenchReport({
    name: "ingest",
    title: `Ingest end to end (parse → chunk → embed → index, tiny test embedder): ${files.length} smallest text PDFs of the corpus`,
    reference: `poppler's \`pdftotext\` on the same ${files.length} files, one after another; median of ${runs} runs`,
    columns,
    rows,
    goals: [
      {
        goal: "end to end with the tiny test embedder ≥ 100 pages/s",
        measured: `${figures.folioPagesPerSecond ?? "—"} pages/s`,
        met: figures.folioPagesPerSecond === null ? null : figures.folioPagesPerSecond >= 100,
      },
    ],
    charts: [
      {
        title: "Ingest throughput",
        unit: "pages/s",
        bars: [
          { label: "pdftotext (text only)", value: figures.pdftotextPagesPerSecond ?? 0, reference: true },
          { label: "Folio ingest, end to end", value: figures.folioPagesPerSecond ?? 0 },
        ],
      },
    ],
  });
  return figures;
}

async function measureIngestRun(files: readonly CorpusPdf[]): Promise<IngestRun> {
  const [warmUpFile] = files;
  if (!warmUpFile) throw new Error("No text PDF found in the corpus");
  const startupStartedAt = performance.now();
  const folio = await createBenchFolio();
  try {
    await warmUpIngest(folio, warmUpFile.filePath);
    const startupMs = performance.now() - startupStartedAt;
    const collectionId = await createBenchCollection(folio, "bench-ingest");

    const uploadStartedAt = performance.now();
    const fileNamesByJobId = await uploadFiles(folio, collectionId, files);
    const uploadMs = performance.now() - uploadStartedAt;

    const ingestStartedAt = performance.now();
    const jobResults = await drainQueue(folio);
    const ingestMs = performance.now() - ingestStartedAt;
    const parserChildPeakRssMb = await readParserChildPeakRssMb(folio);

    const succeeded = jobResults.flatMap((result) => (result.state === "succeeded" ? [result.outcome] : []));
    const pagesIndexed = succeeded.reduce((sum, outcome) => sum + outcome.pageCount, 0);
    const chunksIndexed = succeeded.reduce((sum, outcome) => sum + outcome.chunkCount, 0);
    const failedFiles = jobResults.flatMap((result) =>
      result.state === "succeeded"
        ? []
        : [`${fileNamesByJobId.get(result.jobId) ?? result.jobId} (${result.error.code})`],
    );

    const pdftotextMs = await timePdftotext(files);
    const pdftotextPages = files.reduce((sum, file) => sum + file.pageCount, 0);
    const folioPagesPerSecond = pagesIndexed / (ingestMs / 1000);
    const pdftotextPagesPerSecond = pdftotextPages / (pdftotextMs / 1000);
    return {
      startupMs,
      uploadMs,
      ingestMs,
      pagesIndexed,
      chunksIndexed,
      failedFiles,
      folioPagesPerSecond,
      pdftotextMs,
      pdftotextPagesPerSecond,
      ratioToPdftotext: folioPagesPerSecond / pdftotextPagesPerSecond,
      parserChildPeakRssMb,
      modelThreads: folio.config.modelThreads,
    };
  } finally {
    await folio.close();
  }
}
