import { mkdir, writeFile } from "node:fs/promises";
import { cpus, platform, release, totalmem } from "node:os";
import path from "node:path";
import { z } from "zod";

/**
 * The results file every benchmark writes (`bench-results/<name>.json`, gitignored) and
 * `npm run bench -- doc` turns into docs/BENCHMARKS.md. One file per benchmark: the latest run.
 */
const cellSchema = z.union([z.string(), z.number(), z.null()]);

export const benchReportSchema = z.object({
  /** File name and anchor: `ingest`, `embedder`, `ocr`… */
  name: z.string().regex(/^[a-z0-9-]+$/),
  title: z.string(),
  /** ISO 8601, when the run finished. */
  date: z.string(),
  command: z.string(),
  machine: z.object({
    cpus: z.number(),
    model: z.string(),
    memoryGb: z.number(),
    node: z.string(),
    os: z.string(),
  }),
  /** What Folio's figures are compared against, measured in the same run. */
  reference: z.string(),
  columns: z.array(z.string()),
  rows: z.array(z.array(cellSchema)),
  goals: z
    .array(z.object({ goal: z.string(), measured: z.string(), met: z.boolean().nullable() }))
    .optional(),
  /** Horizontal bar charts (bars marked `reference` are drawn grey), or scatter charts (`kind: "scatter"`). */
  charts: z
    .array(
      z.union([
        z.object({
          title: z.string(),
          unit: z.string(),
          bars: z.array(
            z.object({ label: z.string(), value: z.number(), reference: z.boolean().optional() }),
          ),
        }),
        z.object({
          kind: z.literal("scatter"),
          title: z.string(),
          xLabel: z.string(),
          yLabel: z.string(),
          series: z.array(
            z.object({
              label: z.string(),
              reference: z.boolean().optional(),
              points: z.array(z.object({ x: z.number(), y: z.number(), label: z.string().optional() })),
            }),
          ),
        }),
      ]),
    )
    .optional(),
  notes: z.array(z.string()).optional(),
});

export type BenchReport = z.infer<typeof benchReportSchema>;
export type BenchMachine = BenchReport["machine"];
/** What a benchmark fills in; the writer adds date, command and machine. */
export type BenchReportContent = Omit<BenchReport, "date" | "command" | "machine">;

/** `BENCH_RESULTS_DIR`, else `bench-results/` in the working directory (the repository root). */
export function resolveBenchResultsDir(): string {
  return path.resolve(process.env.BENCH_RESULTS_DIR ?? "bench-results");
}

export function describeBenchMachine(): BenchMachine {
  const processors = cpus();
  return {
    cpus: processors.length,
    model: processors[0]?.model.trim() ?? "unknown",
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()}`,
  };
}

/**
 * Writes `<results dir>/<name>.json` and returns its path. `command` says how to run it again
 * (@default `npm run bench -- <this process's arguments>`).
 */
export async function writeBenchReport(content: BenchReportContent & { command?: string }): Promise<string> {
  const report = benchReportSchema.parse({
    ...content,
    date: new Date().toISOString(),
    command: content.command ?? `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
    machine: describeBenchMachine(),
  });
  const directory = resolveBenchResultsDir();
  await mkdir(directory, { recursive: true });
  const file = path.join(directory, `${report.name}.json`);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`[${report.name}] results written to ${path.relative(process.cwd(), file)}`);
  return file;
}
