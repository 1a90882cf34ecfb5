import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExtractIo, parsePageList, runExtract } from "../../scripts/extract/run-extract";
import { buildEncryptedPdf, buildTextPdf } from "../fixtures/builders/pdf";

let directory: string;
const file = (name: string) => path.join(directory, name);

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-extract-cli-"));
  await writeFile(
    file("report.pdf"),
    buildTextPdf({ title: "Annual Report", pages: [["First page paragraph."], ["Second page paragraph."]] }),
  );
  await writeFile(
    file("locked.pdf"),
    buildEncryptedPdf({ pages: [["Behind a password."]], userPassword: "pw" }),
  );
  await writeFile(file("archive.zip"), "PK\x03\x04 a ZIP archive is not a document Folio reads");
});
afterAll(async () => rm(directory, { recursive: true, force: true }));

function capture(stdin?: string): ExtractIo & { output: () => string; errors: () => string } {
  let output = "";
  const errors: string[] = [];
  return {
    environment: { DATA_DIR: path.join(directory, "data"), PARSE_PROCESSES: "1" },
    out: (text) => {
      output += text;
    },
    err: (line) => errors.push(line),
    readStdin: async () => stdin,
    output: () => output,
    errors: () => errors.join("\n"),
  };
}

describe("npm run extract", () => {
  it("prints each page's blocks with type, box and source, without indexing anything", async () => {
    const io = capture();
    expect(await runExtract([file("report.pdf")], io)).toBe(0);
    const lines = io.output().split("\n");
    expect(lines[0]).toBe('report.pdf — application/pdf, 2 pages, title "Annual Report"');
    expect(lines).toContain("── Page 1 (612 × 792 pt, text layer) ──");
    expect(lines).toContain("  First page paragraph.");
    expect(lines.find((line) => line.startsWith("[text] @72,"))).toMatch(/ text layer$/);
  });

  it("writes JSON for the pages asked for", async () => {
    const io = capture();
    expect(await runExtract([file("report.pdf"), "--json", "--pages", "2"], io)).toBe(0);
    const parsed = JSON.parse(io.output()) as {
      pageCount: number;
      pages: {
        pageNumber: number;
        route: string;
        blocks: { kind: string; text: string; source: string }[];
      }[];
    };
    expect(parsed.pageCount).toBe(2);
    expect(parsed.pages.map((page) => [page.pageNumber, page.route])).toEqual([[2, "text_layer"]]);
    expect(parsed.pages[0]?.blocks).toMatchObject([
      { kind: "text", text: "Second page paragraph.", source: "text_layer" },
    ]);
  });

  it("reads an encrypted PDF with --password-stdin, and explains a refusal without it", async () => {
    const unlocked = capture("pw\n");
    expect(await runExtract([file("locked.pdf"), "--password-stdin"], unlocked)).toBe(0);
    expect(unlocked.output()).toContain("Behind a password.");
    const locked = capture();
    expect(await runExtract([file("locked.pdf")], locked)).toBe(1);
    expect(locked.errors()).toContain("invalid:pdf_encrypted");
  });

  it("exits 1 with the reason for a file Folio cannot read, and 64 on bad usage", async () => {
    const zip = capture();
    expect(await runExtract([file("archive.zip")], zip)).toBe(1);
    expect(zip.errors()).toContain("unsupported:file_type");
    const usage = capture();
    expect(await runExtract(["--pages", "x", file("report.pdf")], usage)).toBe(64);
    expect(await runExtract([], capture())).toBe(64);
  });

  it("parses page lists", () => {
    const pages = parsePageList("1-3,7");
    expect([1, 2, 3, 4, 7, 8].map(pages)).toEqual([true, true, true, false, true, false]);
    expect(() => parsePageList("3-1")).toThrow(/not a range/);
  });

  it("runs as `npm run extract` and keeps stdout to the output alone", async () => {
    const { stdout } = await promisify(execFile)(
      "npm",
      ["run", "-s", "extract", "--", file("report.pdf"), "--json"],
      {
        env: { ...process.env, DATA_DIR: path.join(directory, "data") },
      },
    );
    expect((JSON.parse(stdout) as { pageCount: number }).pageCount).toBe(2);
  }, 120_000);
});
