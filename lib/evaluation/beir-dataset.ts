import { createReadStream } from "node:fs";
import { access, readFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { z } from "zod";
import { AppError } from "../errors";
import type { Judgments } from "./metrics";

export interface BeirDocument {
  id: string;
  title: string;
  text: string;
}

export interface BeirQuery {
  id: string;
  text: string;
}

/** A BEIR-format data set: the corpus, and the queries of one split with their judgments. */
export interface BeirDataset {
  name: string;
  documents: BeirDocument[];
  /** Queries that have judgments in the split, in the order of the qrels file. */
  queries: BeirQuery[];
  qrels: Map<string, Judgments>;
}

const documentSchema = z.object({
  _id: z.union([z.string(), z.number()]).transform(String),
  title: z.string().nullish(),
  text: z.string().nullish(),
});
const querySchema = z.object({ _id: z.union([z.string(), z.number()]).transform(String), text: z.string() });

const layout =
  "A BEIR data set is a directory with corpus.jsonl ({_id, title, text} per line), queries.jsonl " +
  "({_id, text} per line) and qrels/<split>.tsv (query-id, corpus-id, score; a header line).";

/**
 * Reads a BEIR data set (github.com/beir-cellar/beir's layout). Queries are those of `split`'s
 * qrels that queries.jsonl has, in file order; `limitQueries` keeps the first that many. A missing
 * file or a malformed line fails with `invalid:evaluation_data`, naming the file and line.
 */
export async function readBeirDataset(
  directory: string,
  options: { split?: string; limitQueries?: number } = {},
): Promise<BeirDataset> {
  const split = options.split ?? "test";
  const files = {
    corpus: path.join(directory, "corpus.jsonl"),
    queries: path.join(directory, "queries.jsonl"),
    qrels: path.join(directory, "qrels", `${split}.tsv`),
  };
  for (const file of Object.values(files)) {
    await access(file).catch((cause) => {
      throw new AppError("invalid:evaluation_data", { message: `${file} is missing. ${layout}`, cause });
    });
  }
  const qrels = parseQrels(await readFile(files.qrels, "utf8"), files.qrels);
  const queryTexts = new Map<string, string>();
  for await (const { line, number } of jsonLines(files.queries)) {
    const query = parseLine(querySchema, line, files.queries, number);
    queryTexts.set(query._id, query.text);
  }
  const queries = [...qrels.keys()].flatMap((id) => {
    const text = queryTexts.get(id);
    return text === undefined ? [] : [{ id, text }];
  });
  const kept = queries.slice(0, options.limitQueries ?? queries.length);
  if (kept.length === 0) {
    throw new AppError("invalid:evaluation_data", {
      message: `No query of ${files.qrels} is in ${files.queries}. ${layout}`,
    });
  }
  const documents: BeirDocument[] = [];
  for await (const { line, number } of jsonLines(files.corpus)) {
    const document = parseLine(documentSchema, line, files.corpus, number);
    documents.push({ id: document._id, title: document.title ?? "", text: document.text ?? "" });
  }
  if (documents.length === 0) {
    throw new AppError("invalid:evaluation_data", { message: `${files.corpus} has no documents. ${layout}` });
  }
  return {
    name: path.basename(path.resolve(directory)),
    documents,
    queries: kept,
    qrels: new Map(kept.map((query) => [query.id, qrels.get(query.id) ?? new Map()])),
  };
}

function parseQrels(source: string, file: string): Map<string, Map<string, number>> {
  const qrels = new Map<string, Map<string, number>>();
  source.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "") return;
    const [queryId, documentId, grade, ...rest] = line.split("\t");
    if (index === 0 && /query/i.test(queryId ?? "")) return;
    const score = Number(grade);
    if (!queryId || !documentId || rest.length > 0 || grade === undefined || !Number.isFinite(score)) {
      throw new AppError("invalid:evaluation_data", {
        message: `${file}:${index + 1}: expected "query-id<TAB>corpus-id<TAB>score". ${layout}`,
      });
    }
    const judgments = qrels.get(queryId) ?? new Map<string, number>();
    judgments.set(documentId, score);
    qrels.set(queryId, judgments);
  });
  return qrels;
}

async function* jsonLines(file: string): AsyncGenerator<{ line: string; number: number }> {
  const lines = createInterface({
    input: createReadStream(file, "utf8"),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let number = 0;
  for await (const line of lines) {
    number += 1;
    if (line.trim() !== "") yield { line, number };
  }
}

function parseLine<T>(schema: z.ZodType<T>, line: string, file: string, number: number): T {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (cause) {
    throw new AppError("invalid:evaluation_data", {
      message: `${file}:${number}: not JSON. ${layout}`,
      cause,
    });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const problem = parsed.error.issues.map((issue) => `${issue.path.join(".") || "line"}: ${issue.message}`);
    throw new AppError("invalid:evaluation_data", {
      message: `${file}:${number}: ${problem.join("; ")}. ${layout}`,
    });
  }
  return parsed.data;
}
