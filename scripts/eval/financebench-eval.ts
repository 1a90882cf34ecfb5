import { access, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { AppError } from "../../lib/errors";
import { retrieveContext } from "../../lib/retrieval/retrieve-context";
import type { Folio } from "../../lib/runtime";
import { createProgressBar } from "../../lib/terminal/progress-bar";
import type { SearchMode } from "../../lib/vector-store/vector-store";
import { type IngestedFiles, ingestFiles } from "./ingest-files";

export interface FinanceBenchRow {
  /** `all filings`: one search over every filing; `its filing`: restricted to the evidence document. */
  scope: "all filings" | "its filing";
  mode: SearchMode;
  recallAt5: number;
  recallAt20: number;
  msPerQuestion: number;
}

export interface FinanceBenchEvaluation {
  questionCount: number;
  documentCount: number;
  ingest: Omit<IngestedFiles, "keysByDocumentId" | "collectionIds">;
  rows: FinanceBenchRow[];
}

const questionSchema = z.object({
  financebench_id: z.string(),
  question: z.string(),
  doc_name: z.string(),
  evidence: z.array(z.object({ doc_name: z.string(), evidence_page_num: z.number().int().min(0) })).min(1),
});

const layout =
  "A FinanceBench directory has questions.jsonl (financebench_id, question, doc_name, evidence[{doc_name, " +
  "evidence_page_num (0-based)}] per line) and pdfs/<doc_name>.pdf.";

/** Passages per question: recall is read at 5 and at 20. */
const depth = 20;

/**
 * FinanceBench through the real pipeline: every filing PDF is ingested (each into a collection of
 * its own, so a search can also be restricted to one), each question asked through Folio's
 * retrieval in each mode, and a question counts as found at k when one of the first k passages
 * lies on an evidence page of its evidence document — FinanceBench pages are 0-based, Folio's
 * 1-based.
 */
export async function runFinanceBenchEvaluation(
  folio: Folio,
  directory: string,
  options: { modes: readonly SearchMode[] },
): Promise<FinanceBenchEvaluation> {
  const questions = await readQuestions(directory);
  const pdfsDir = path.join(directory, "pdfs");
  const pdfNames = (await readdir(pdfsDir)).filter((name) => name.toLowerCase().endsWith(".pdf")).sort();
  const missing = [
    ...new Set(questions.flatMap((question) => question.evidence.map((item) => item.doc_name))),
  ].filter((name) => !pdfNames.includes(`${name}.pdf`));
  if (missing.length > 0) {
    throw new AppError("invalid:evaluation_data", {
      message: `Evidence documents missing from ${pdfsDir}: ${missing.join(", ")}. ${layout}`,
    });
  }
  const ingested = await ingestFiles(folio, {
    files: pdfNames.map((name) => ({
      key: name.replace(/\.pdf$/i, ""),
      fileName: name,
      read: async () => new Uint8Array(await readFile(path.join(pdfsDir, name))),
    })),
    collectionNameOf: (file) => `eval financebench ${file.key}`,
    title: "Ingesting FinanceBench filings",
  });
  const documentIdByName = new Map<string, string>();
  for (const [documentId, keys] of ingested.keysByDocumentId) {
    for (const key of keys) documentIdByName.set(key, documentId);
  }
  const allCollections = [...ingested.collectionIds.values()];
  const { embedder, store } = await folio.embeddingParts();
  const dependencies = { db: folio.database.db, store, embedder };
  const rows: FinanceBenchRow[] = [];
  for (const scope of ["all filings", "its filing"] as const) {
    for (const mode of options.modes) {
      const bar = createProgressBar({ total: questions.length, title: `Asking (${scope}, ${mode})` });
      const found = { at5: 0, at20: 0 };
      const startedAt = performance.now();
      for (const [index, question] of questions.entries()) {
        const collectionId = ingested.collectionIds.get(`eval financebench ${question.doc_name}`);
        const collectionIds = scope === "all filings" ? allCollections : collectionId ? [collectionId] : [];
        const passages = await retrieveContext(dependencies, {
          question: question.question,
          collectionIds,
          limit: depth,
          mode,
        });
        const isEvidence = (passage: { documentId: string; pageNumber: number }) =>
          question.evidence.some(
            (item) =>
              documentIdByName.get(item.doc_name) === passage.documentId &&
              item.evidence_page_num + 1 === passage.pageNumber,
          );
        const rank = passages.findIndex(isEvidence);
        if (rank >= 0 && rank < 5) found.at5 += 1;
        if (rank >= 0 && rank < 20) found.at20 += 1;
        bar.update(index + 1);
      }
      bar.finish();
      rows.push({
        scope,
        mode,
        recallAt5: found.at5 / questions.length,
        recallAt20: found.at20 / questions.length,
        msPerQuestion: (performance.now() - startedAt) / questions.length,
      });
    }
  }
  const { keysByDocumentId: _keys, collectionIds: _ids, ...ingest } = ingested;
  return { questionCount: questions.length, documentCount: pdfNames.length, ingest, rows };
}

async function readQuestions(directory: string): Promise<z.infer<typeof questionSchema>[]> {
  const file = path.join(directory, "questions.jsonl");
  await access(file).catch((cause) => {
    throw new AppError("invalid:evaluation_data", { message: `${file} is missing. ${layout}`, cause });
  });
  const lines = (await readFile(file, "utf8")).split(/\r?\n/);
  const questions = lines.flatMap((line, index) => {
    if (line.trim() === "") return [];
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      throw new AppError("invalid:evaluation_data", {
        message: `${file}:${index + 1}: not JSON. ${layout}`,
        cause,
      });
    }
    const parsed = questionSchema.safeParse(value);
    if (!parsed.success) {
      throw new AppError("invalid:evaluation_data", {
        message: `${file}:${index + 1}: ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}. ${layout}`,
      });
    }
    return [parsed.data];
  });
  if (questions.length === 0) {
    throw new AppError("invalid:evaluation_data", { message: `${file} has no questions. ${layout}` });
  }
  return questions;
}
