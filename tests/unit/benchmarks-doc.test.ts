import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type BenchReport, describeBenchMachine } from "../../scripts/bench/bench-report";
import { writeBenchmarksDoc } from "../../scripts/bench/benchmarks-doc";

let workDirectory: string;

beforeAll(async () => {
  workDirectory = await mkdtemp(path.join(tmpdir(), "folio-benchmarks-doc-"));
});

afterAll(async () => {
  await rm(workDirectory, { recursive: true, force: true });
});

function report(name: string, value: number): BenchReport {
  return {
    name,
    title: `The ${name} bench`,
    date: "2026-12-02T05:00:00.000Z",
    command: `npm run bench -- ${name}`,
    machine: describeBenchMachine(),
    reference: "a <reference> tool",
    columns: ["measure", "per second"],
    rows: [
      ["reference | tool", 10],
      ["Folio", value],
    ],
    goals: [{ goal: "at least 5 per second", measured: `${value}`, met: value >= 5 }],
    charts: [
      {
        title: "Throughput",
        unit: "per second",
        bars: [
          { label: "reference <tool>", value: 10, reference: true },
          { label: "Folio", value },
        ],
      },
    ],
  };
}

it("writes a table per results file, in the given order, with an SVG chart each", async () => {
  const resultsDir = path.join(workDirectory, "results");
  const docPath = path.join(workDirectory, "docs", "BENCHMARKS.md");
  await rm(resultsDir, { recursive: true, force: true });
  await mkdir(resultsDir, { recursive: true });
  await writeFile(path.join(resultsDir, "alpha.json"), JSON.stringify(report("alpha", 4)));
  await writeFile(path.join(resultsDir, "beta.json"), JSON.stringify(report("beta", 7.5)));

  const result = await writeBenchmarksDoc({ resultsDir, docPath, order: ["beta"] });
  expect(result.benchmarks).toEqual(["beta", "alpha"]);
  const markdown = await readFile(docPath, "utf8");
  expect(markdown.indexOf("## The beta bench")).toBeLessThan(markdown.indexOf("## The alpha bench"));
  expect(markdown).toContain("| reference \\| tool | 10 |");
  expect(markdown).toContain("| alpha | at least 5 per second | 4 | **no** |");
  expect(markdown).toContain("![Throughput](benchmarks/beta-1.svg)");

  const svg = await readFile(path.join(workDirectory, "docs", "benchmarks", "beta-1.svg"), "utf8");
  expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  expect(svg).toContain("reference &#60;tool&#62;");
  expect(svg).toContain(">7.5</text>");

  // The same results give the same bytes.
  await writeBenchmarksDoc({ resultsDir, docPath, order: ["beta"] });
  expect(await readFile(docPath, "utf8")).toBe(markdown);
});

it("refuses a results file that is not in the common format", async () => {
  const resultsDir = path.join(workDirectory, "broken");
  await mkdir(resultsDir, { recursive: true });
  await writeFile(path.join(resultsDir, "odd.json"), JSON.stringify({ name: "odd" }));
  await expect(
    writeBenchmarksDoc({ resultsDir, docPath: path.join(workDirectory, "broken-doc", "B.md") }),
  ).rejects.toThrow(/not a benchmark results file/);
});
