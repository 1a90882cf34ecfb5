import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { createOcrEngine } from "../../ingest/ocr/ocr-pool";
import { recognizeImage } from "../../ingest/ocr/recognize-image";
import type { OcrResult } from "../../ingest/ocr/types";
import { writeBenchReport } from "./bench-report";
import { characterErrorRate } from "./character-error-rate";
import { computeMedian, roundTo } from "./statistics";
import { printTable } from "./table";

const run = promisify(execFile);

/** The corpus images with an exact transcription beside them (`<name>.txt`). */
const groundTruthImages = ["phototest.tif", "eurotext.tif", "8071_093.3B.tif"];

export function resolveOcrCorpusDir(corpusDir: string): string {
  return path.join(corpusDir, "images", "tesseract-test");
}

interface ImageFigures {
  image: string;
  folioSeconds: number;
  folioCer: number;
  folioImagePathSeconds: number;
  folioImagePathCer: number;
  cliSeconds: number;
  cliCer: number;
}

/**
 * OCR seconds per page and character error rate on the tesseract test images, Folio's
 * tesseract.js engine (one warm worker, one pass; and the image-document path with its optional
 * second pass) against Debian's `tesseract` CLI (a process per page, as it is used) in the same run.
 */
export async function runOcrBench(corpusDir: string, runs: number): Promise<Record<string, unknown>> {
  const directory = resolveOcrCorpusDir(corpusDir);
  const images = groundTruthImages.filter((image) => existsSync(path.join(directory, image)));
  console.log(`\n[ocr] ${images.length} images with ground truth in ${directory}, ${runs} run(s)`);
  const engine = await createOcrEngine({ languages: ["eng"], workers: 1 });
  const figures: ImageFigures[] = [];
  try {
    // Warm-up: a worker's start (~1 s, language data) is paid once per process, not per page.
    await engine.recognize(
      await sharp({ create: { width: 64, height: 32, channels: 3, background: "#ffffff" } })
        .png()
        .toBuffer(),
    );
    for (const image of images) {
      const file = path.join(directory, image);
      const reference = await readFile(file.replace(/\.tif$/, ".txt"), "utf8");
      const bytes = await readFile(file);
      const samples: Omit<ImageFigures, "image">[] = [];
      for (let index = 0; index < runs; index += 1) {
        let started = performance.now();
        const folio = await engine.recognize(bytes);
        const folioSeconds = (performance.now() - started) / 1000;

        started = performance.now();
        const metadata = await sharp(file).metadata();
        const imagePath = await recognizeImage(engine, () => sharp(file), metadata);
        const folioImagePathSeconds = (performance.now() - started) / 1000;

        started = performance.now();
        const cli = await run("tesseract", [file, "-", "-l", "eng"], { maxBuffer: 16 << 20 });
        const cliSeconds = (performance.now() - started) / 1000;
        samples.push({
          folioSeconds,
          folioCer: characterErrorRate(textOf(folio), reference),
          folioImagePathSeconds,
          folioImagePathCer: characterErrorRate(textOf(imagePath.result), reference),
          cliSeconds,
          cliCer: characterErrorRate(cli.stdout, reference),
        });
      }
      const median = (pick: (sample: Omit<ImageFigures, "image">) => number) =>
        computeMedian(samples.map(pick));
      figures.push({
        image,
        folioSeconds: median((sample) => sample.folioSeconds),
        folioCer: median((sample) => sample.folioCer),
        folioImagePathSeconds: median((sample) => sample.folioImagePathSeconds),
        folioImagePathCer: median((sample) => sample.folioImagePathCer),
        cliSeconds: median((sample) => sample.cliSeconds),
        cliCer: median((sample) => sample.cliCer),
      });
    }
  } finally {
    await engine.dispose();
  }
  const total = (pick: (figure: ImageFigures) => number) =>
    figures.reduce((sum, figure) => sum + pick(figure), 0);
  const mean = (pick: (figure: ImageFigures) => number) => total(pick) / Math.max(1, figures.length);
  const summary = {
    images: figures.length,
    folioSecondsPerPage: roundTo(
      mean((figure) => figure.folioSeconds),
      3,
    ),
    folioImagePathSecondsPerPage: roundTo(
      mean((figure) => figure.folioImagePathSeconds),
      3,
    ),
    cliSecondsPerPage: roundTo(
      mean((figure) => figure.cliSeconds),
      3,
    ),
    timeRatioToCli: roundTo(total((figure) => figure.folioSeconds) / total((figure) => figure.cliSeconds), 2),
    folioCerPercent: roundTo(mean((figure) => figure.folioCer) * 100, 2),
    folioImagePathCerPercent: roundTo(mean((figure) => figure.folioImagePathCer) * 100, 2),
    cliCerPercent: roundTo(mean((figure) => figure.cliCer) * 100, 2),
  };
  const columns = [
    "image",
    "Folio s",
    "Folio CER %",
    "image path s",
    "image path CER %",
    "CLI s",
    "CLI CER %",
  ];
  const rows = [
    ...figures.map((figure) => [
      figure.image,
      roundTo(figure.folioSeconds, 2),
      roundTo(figure.folioCer * 100, 2),
      roundTo(figure.folioImagePathSeconds, 2),
      roundTo(figure.folioImagePathCer * 100, 2),
      roundTo(figure.cliSeconds, 2),
      roundTo(figure.cliCer * 100, 2),
    ]),
    [
      "mean",
      summary.folioSecondsPerPage,
      summary.folioCerPercent,
      summary.folioImagePathSecondsPerPage,
      summary.folioImagePathCerPercent,
      summary.cliSecondsPerPage,
      summary.cliCerPercent,
    ],
  ];
  printTable(
    "OCR: seconds per page and character error rate (median of runs), Folio tesseract.js vs tesseract CLI",
    columns,
    rows,
  );
  const timeRatio = summary.timeRatioToCli ?? 0;
  const cerGap = (summary.folioCerPercent ?? 0) - (summary.cliCerPercent ?? 0);
  await writeBenchReport({
    name: "ocr",
    title: `OCR: ${figures.length} images with ground truth (tesseract's own test pages)`,
    reference: "the `tesseract` CLI (Debian's tesseract-ocr) on the same images, same run",
    columns,
    rows,
    goals: [
      { goal: "≤ 1.5× the CLI's time", measured: `${timeRatio}×`, met: timeRatio <= 1.5 },
      {
        goal: "CER within 1 point of the CLI's",
        measured: `${cerGap >= 0 ? "+" : ""}${cerGap.toFixed(2)} points`,
        met: cerGap <= 1,
      },
    ],
    charts: [
      {
        title: "Seconds per page",
        unit: "s",
        bars: [
          { label: "tesseract CLI", value: summary.cliSecondsPerPage ?? 0, reference: true },
          { label: "Folio (tesseract.js pool)", value: summary.folioSecondsPerPage ?? 0 },
        ],
      },
    ],
    notes: [
      "The CLI's time includes starting a process and loading the model for every page, as a one-off run of it does.",
    ],
  });
  return { ...summary, perImage: figures };
}

function textOf(result: OcrResult): string {
  return result.blocks.map((block) => block.text).join("\n");
}
