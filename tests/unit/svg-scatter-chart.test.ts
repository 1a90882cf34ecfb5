import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type BenchReport, describeBenchMachine } from "../../scripts/bench/bench-report";
import { writeBenchmarksDoc } from "../../scripts/bench/benchmarks-doc";
import { logTicks, niceTicks, renderScatterChart } from "../../scripts/bench/svg-scatter-chart";

const directories: string[] = [];
afterAll(async () => {
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});

const chart = {
  kind: "scatter" as const,
  title: "Recall <against> latency",
  xLabel: "p95 ms",
  yLabel: "recall@10",
  series: [
    { label: "flat", reference: true, points: [{ x: 240, y: 1, label: "exact" }] },
    {
      label: "IVF_PQ",
      points: [
        { x: 30, y: 0.98, label: "np 20, rf 5" },
        { x: 12, y: 0.72, label: "np 10, rf 0" },
      ],
    },
  ],
};

describe("niceTicks", () => {
  it.each([
    [0, 240, [0, 50, 100, 150, 200]],
    [0.7, 1, [0.7, 0.8, 0.9, 1]],
    [0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1]],
  ])("cuts [%d, %d] at round steps", (low, high, ticks) => {
    expect(niceTicks(low, high)).toEqual(ticks);
  });
});

describe("logTicks", () => {
  it("marks 1, 2 and 5 of each decade", () => {
    expect(logTicks(10, 500)).toEqual([10, 20, 50, 100, 200, 500]);
  });
});

describe("renderScatterChart", () => {
  it("joins a series' points in the order given, labels them, greys the reference and escapes text", () => {
    const svg = renderScatterChart(chart);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain("<title>Recall &#60;against&#62; latency</title>");
    const polylines = [...svg.matchAll(/<polyline points="([^"]+)"/g)].map((match) => match[1] ?? "");
    expect(polylines).toHaveLength(1);
    const xs = (polylines[0] ?? "").split(" ").map((point) => Number(point.split(",")[0]));
    expect(xs[0]).toBeGreaterThan(xs[1] ?? 0);
    expect(svg).toContain(">np 20, rf 5</text>");
    expect(svg).toMatch(/<circle cx="[\d.]+" cy="[\d.]+" r="4.5" fill="#9aa5b1"\/>/);
    expect(renderScatterChart(chart)).toBe(svg);
  });

  it("draws x on a logarithmic axis when the values span more than the ratio, else linear from 0", () => {
    const logarithmic = renderScatterChart(chart);
    expect(logarithmic).toContain("p95 ms, logarithmic</text>");
    expect(logarithmic).toContain(">200</text>");
    const linear = renderScatterChart(chart, 100);
    expect(linear).not.toContain("logarithmic");
    expect(linear).toContain('text-anchor="middle">0</text>');
  });

  it("puts a label on another side of its point when it would cover another", () => {
    const svg = renderScatterChart({
      ...chart,
      series: [
        {
          label: "close",
          points: [
            { x: 100, y: 1, label: "first" },
            { x: 101, y: 1, label: "second" },
          ],
        },
      ],
    });
    const label = (text: string) => {
      const match = new RegExp(`<text x="([\\d.]+)" y="([\\d.]+)" font-size="11"[^>]*>${text}<`).exec(svg);
      return { x: Number(match?.[1]), y: Number(match?.[2]) };
    };
    const [first, second] = [label("first"), label("second")];
    expect(Math.abs(second.y - first.y) >= 13 || Math.abs(second.x - first.x) >= 30).toBe(true);
  });
});

it("writes a scatter chart of a results file beside docs/BENCHMARKS.md", async () => {
  const directory = await mkdtemp(path.join(tmpdir(), "folio-scatter-doc-"));
  directories.push(directory);
  const report: BenchReport = {
    name: "search",
    title: "Search at scale",
    date: "2026-12-03T05:00:00.000Z",
    command: "npm run bench -- search",
    machine: describeBenchMachine(),
    reference: "raw LanceDB",
    columns: ["setting", "p95 ms"],
    rows: [["flat", 240]],
    charts: [chart],
  };
  await writeFile(path.join(directory, "search.json"), JSON.stringify(report));
  const docPath = path.join(directory, "docs", "BENCHMARKS.md");
  const result = await writeBenchmarksDoc({ resultsDir: directory, docPath });
  expect(await readFile(docPath, "utf8")).toContain("![Recall <against> latency](benchmarks/search-1.svg)");
  expect(result.charts).toEqual([path.join(directory, "docs", "benchmarks", "search-1.svg")]);
  expect(await readFile(result.charts[0] ?? "", "utf8")).toBe(renderScatterChart(chart));
});
