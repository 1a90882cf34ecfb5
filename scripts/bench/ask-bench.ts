import { checkClaims } from "../../lib/answer/check-claims";
import { startAnswer } from "../../lib/answer/start-answer";
import type { SourceRef } from "../../lib/domain/answer-events";
import type { Embedder } from "../../lib/embeddings/embedder";
import { retrieveContext } from "../../lib/retrieval/retrieve-context";
import {
  type BenchFolio,
  createBenchCollection,
  createBenchFolio,
  drainQueue,
  uploadFiles,
} from "./bench-folio";
import { type CorpusPdf, extractTextWithPdftotext } from "./corpus";
import { computePercentile, roundTo } from "./statistics";
import { printTable } from "./table";

const askDocumentCount = 6;
const questionCount = 10;
const wordsPerQuestion = 6;

interface AskSample {
  directRetrievalMs: number;
  retrievalMs: number;
  promptTokens: number;
  budgetTokens: number;
  firstTokenMs: number | null;
  totalMs: number;
  sourceCount: number;
  answerTokens: number;
  /** Tokens after the first, over the time between the first and the last text piece. */
  decodeTokensPerSecond: number | null;
  /** All answer tokens over the time from the end of retrieval to the last text piece (prompt included). */
  answerTokensPerSecond: number | null;
  /** Whole documents, or passages with neighbours. */
  contextMode: string;
  /** Claim checking, on an answer made of the sources' own sentences (see `checkComposedAnswer`). */
  claimCheckMsPerSentence: number | null;
}

/**
 * Answer mechanics with the scripted test GGUF: a few corpus PDFs ingested once, then questions
 * made of words from those documents, each asked `runs` times through `startAnswer`, plus a
 * direct `retrieveContext` call for the same question.
 */
export async function runAskBench(
  textPdfs: readonly CorpusPdf[],
  runs: number,
): Promise<Record<string, unknown>> {
  const chosen = await chooseAskDocuments(textPdfs);
  const documents = chosen.map(({ document }) => document);
  const folio = await createBenchFolio();
  try {
    const collectionId = await createBenchCollection(folio, "bench-ask");
    await uploadFiles(folio, collectionId, documents);
    const jobResults = await drainQueue(folio);
    const indexedCount = jobResults.filter((result) => result.state === "succeeded").length;
    const questions = composeQuestions(chosen.map(({ words }) => words));
    console.log(
      `\n[ask] ${indexedCount}/${documents.length} documents indexed; ${questions.length} questions, e.g.`,
    );
    for (const question of questions.slice(0, 3)) console.log(`  "${question}"`);

    const warmUpStartedAt = performance.now();
    await askOnce(folio, collectionId, "warm up the generator");
    const warmUpMs = performance.now() - warmUpStartedAt;

    const samples: AskSample[] = [];
    for (let run = 1; run <= runs; run += 1) {
      for (const question of questions) samples.push(await askOnce(folio, collectionId, question));
      console.log(`[ask] run ${run}/${runs} done`);
    }
    return summarizeAskSamples(samples, {
      runs,
      questions: questions.length,
      documents: indexedCount,
      modelThreads: folio.config.modelThreads,
      warmUpMs,
    });
  } finally {
    await folio.close();
  }
}

async function askOnce(folio: BenchFolio, collectionId: string, question: string): Promise<AskSample> {
  const runtime = folio;
  const retrievalStartedAt = performance.now();
  await retrieveContext(
    { db: runtime.database.db, store: await runtime.store(), embedder: await runtime.embedder() },
    { question, collectionIds: [collectionId], limit: runtime.config.retrievalTopK },
  );
  const directRetrievalMs = performance.now() - retrievalStartedAt;

  const events = await startAnswer(runtime, { question, collectionIds: [collectionId], actor: "bench" });
  let answerText = "";
  let retrievalMs = Number.NaN;
  let promptTokens = Number.NaN;
  let budgetTokens = Number.NaN;
  let sourceCount = 0;
  let contextMode = "";
  let sources: SourceRef[] = [];
  let retrievalEndAt = Number.NaN;
  let firstPieceAt: number | undefined;
  let lastPieceAt = Number.NaN;
  for await (const event of events) {
    const now = performance.now();
    if (event.type === "retrieval-end") {
      retrievalMs = event.retrievalMs;
      promptTokens = event.promptTokens;
      budgetTokens = event.budgetTokens;
      sourceCount = event.sources.length;
      contextMode = event.contextMode;
      sources = event.sources;
      retrievalEndAt = now;
    } else if (event.type === "text-delta") {
      answerText += event.text;
      firstPieceAt ??= now;
      lastPieceAt = now;
    } else if (event.type === "error") {
      throw new Error(`answer failed: ${event.code} ${event.message}`);
    } else if (event.type === "answer-end") {
      const answerTokens = sourceCount > 0 ? await (await runtime.generator()).countTokens(answerText) : 0;
      const decodeSeconds = firstPieceAt === undefined ? 0 : (lastPieceAt - firstPieceAt) / 1000;
      const answerSeconds = (lastPieceAt - retrievalEndAt) / 1000;
      return {
        directRetrievalMs,
        retrievalMs,
        promptTokens,
        budgetTokens,
        firstTokenMs: event.firstTokenMs,
        totalMs: event.totalMs,
        sourceCount,
        answerTokens,
        decodeTokensPerSecond:
          answerTokens > 1 && decodeSeconds > 0 ? (answerTokens - 1) / decodeSeconds : null,
        answerTokensPerSecond: answerTokens > 0 && answerSeconds > 0 ? answerTokens / answerSeconds : null,
        contextMode,
        claimCheckMsPerSentence: await checkComposedAnswer(sources, await runtime.embedder()),
      };
    }
  }
  throw new Error("answer stream ended without answer-end");
}

/**
 * The scripted test model's answer has nothing to check, so the claim check is timed on an answer
 * made of the sources themselves: per source (up to 4), its first sentence cited as-is, then the
 * same sentence with one number changed (or its words shuffled) — a mix of supported and not.
 */
async function checkComposedAnswer(
  sources: readonly SourceRef[],
  embedder: Embedder,
): Promise<number | null> {
  const sentences = sources.slice(0, 4).flatMap((source) => {
    const first =
      source.text
        .replace(/\s+/g, " ")
        .split(/(?<=[.!?])\s/)[0]
        ?.trim() ?? "";
    if (first.length < 20) return [];
    const changed = /\d/.test(first)
      ? first.replace(/\d/, (digit) => String((Number(digit) + 3) % 10))
      : first.split(" ").reverse().join(" ");
    return [
      `${first.replace(/[.!?]$/, "")} [${source.n}].`,
      `${changed.replace(/[.!?]$/, "")} [${source.n}].`,
    ];
  });
  if (sentences.length === 0) return null;
  const { timing } = await checkClaims({ answer: sentences.join(" "), sources, embedder });
  return timing.sentences > 0 ? timing.totalMs / timing.sentences : null;
}

/**
 * The documents with the most pages, with their words (pdftotext); a document whose text repeats
 * one already chosen (the corpus holds the same LaTeX file under two names) is skipped.
 */
async function chooseAskDocuments(
  textPdfs: readonly CorpusPdf[],
): Promise<Array<{ document: CorpusPdf; words: string[] }>> {
  const byPages = [...textPdfs].sort((left, right) => right.pageCount - left.pageCount);
  const chosen: Array<{ document: CorpusPdf; words: string[] }> = [];
  const seenTexts = new Set<string>();
  for (const document of byPages) {
    if (chosen.length >= askDocumentCount) break;
    const text = (await extractTextWithPdftotext(document.filePath)) ?? "";
    const words = text.split(/\s+/).filter((word) => /^[A-Za-z]{3,}$/.test(word));
    if (seenTexts.has(text) || words.length < wordsPerQuestion * 4) continue;
    seenTexts.add(text);
    chosen.push({ document, words });
  }
  return chosen;
}

/** Runs of consecutive words from evenly spaced places in each document, taking documents in turn. */
function composeQuestions(wordLists: readonly string[][]): string[] {
  const questions: string[] = [];
  for (let index = 0; index < questionCount && wordLists.length > 0; index += 1) {
    const words = wordLists[index % wordLists.length] ?? [];
    // The k-th question from a document starts k/(slots+1) of the way in: spread, never at the edges.
    const slot = Math.floor(index / wordLists.length) + 1;
    const slotsPerDocument = Math.ceil(questionCount / wordLists.length);
    const start = Math.floor((words.length - wordsPerQuestion) * (slot / (slotsPerDocument + 1)));
    questions.push(`${words.slice(start, start + wordsPerQuestion).join(" ")}?`);
  }
  return questions;
}

function summarizeAskSamples(
  samples: readonly AskSample[],
  context: { runs: number; questions: number; documents: number; modelThreads: number; warmUpMs: number },
): Record<string, unknown> {
  const { warmUpMs, ...counts } = context;
  // The slow tail of a duration is its p95; of a rate (tokens/s), its p5.
  const summarize = (pick: (sample: AskSample) => number | null, tailFraction: number, digits: number) => {
    const values = samples
      .map(pick)
      .filter((value): value is number => value !== null && Number.isFinite(value));
    const p50 = roundTo(computePercentile(values, 0.5), digits);
    return { p50, tail: roundTo(computePercentile(values, tailFraction), digits) };
  };
  const duration = (pick: (sample: AskSample) => number | null) => {
    const { p50, tail } = summarize(pick, 0.95, 1);
    return { p50, p95: tail };
  };
  const rate = (pick: (sample: AskSample) => number | null) => {
    const { p50, tail } = summarize(pick, 0.05, 1);
    return { p50, p5: tail };
  };
  const figures = {
    directRetrievalMs: duration((sample) => sample.directRetrievalMs),
    retrievalMs: duration((sample) => sample.retrievalMs),
    firstTokenMs: duration((sample) => sample.firstTokenMs),
    totalMs: duration((sample) => sample.totalMs),
    decodeTokensPerSecond: rate((sample) => sample.decodeTokensPerSecond),
    answerTokensPerSecond: rate((sample) => sample.answerTokensPerSecond),
    answerTokens: summarize((sample) => sample.answerTokens, 0.5, 0).p50,
    claimCheckMsPerSentence: duration((sample) => sample.claimCheckMsPerSentence),
    wholeDocumentAnswers: samples.filter((sample) => sample.contextMode === "whole_documents").length,
    promptTokens: summarize((sample) => sample.promptTokens, 0.95, 0),
    budgetTokens: summarize((sample) => sample.budgetTokens, 0.5, 0).p50,
    samples: samples.length,
    answersWithSources: samples.filter((sample) => sample.sourceCount > 0).length,
    generatorWarmUpMs: roundTo(warmUpMs, 1),
    ...counts,
  };
  printTable(
    `Ask — ${context.questions} questions × ${context.runs} runs over ${context.documents} documents (${samples.length} samples)`,
    ["figure", "p50", "slow tail"],
    [
      [
        "retrieveContext, direct call (ms; tail p95)",
        figures.directRetrievalMs.p50,
        figures.directRetrievalMs.p95,
      ],
      ["retrieval-end retrievalMs (ms; tail p95)", figures.retrievalMs.p50, figures.retrievalMs.p95],
      ["time to first token, answer-end (ms; tail p95)", figures.firstTokenMs.p50, figures.firstTokenMs.p95],
      ["prompt tokens packed (tail p95)", figures.promptTokens.p50, figures.promptTokens.tail],
      ["prompt budget: window − answer reserve (tokens)", figures.budgetTokens, "—"],
      ["total answer, answer-end (ms; tail p95)", figures.totalMs.p50, figures.totalMs.p95],
      [
        "decode tokens/s after the first (tail p5)",
        figures.decodeTokensPerSecond.p50,
        figures.decodeTokensPerSecond.p5,
      ],
      [
        "tokens/s from retrieval end (tail p5)",
        figures.answerTokensPerSecond.p50,
        figures.answerTokensPerSecond.p5,
      ],
      ["answer tokens (generator.countTokens)", figures.answerTokens, null],
      [
        "claim check ms per sentence (tail p95)",
        figures.claimCheckMsPerSentence.p50,
        figures.claimCheckMsPerSentence.p95,
      ],
    ],
  );
  console.log(
    `answers with sources: ${figures.answersWithSources}/${figures.samples}; whole documents sent: ${figures.wholeDocumentAnswers}/${figures.samples}; first ask (loads the GGUF): ${figures.generatorWarmUpMs} ms; MODEL_THREADS=${context.modelThreads}`,
  );
  return figures;
}
