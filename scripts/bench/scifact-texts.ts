import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Tokenizer } from "@huggingface/tokenizers";
import { readGgufTokens, wordPieceFromGgufTokens } from "../../tests/fixtures/builders/gguf-vocabulary";

/** Real text for the model benchmarks: SciFact from the shared corpus, and bge's vocabulary. */

export function resolveCorpusDir(): string {
  return process.env.FOLIO_CORPUS_DIR ?? path.resolve("../shared/corpus");
}

function sciFactFile(name: "corpus.jsonl" | "queries.jsonl"): string {
  return path.join(resolveCorpusDir(), "retrieval/scifact", name);
}

export function hasSciFact(): boolean {
  return existsSync(sciFactFile("corpus.jsonl")) && existsSync(sciFactFile("queries.jsonl"));
}

/** bge's real 30,522-token vocabulary when the shared models directory has it, else undefined. */
export async function readBgeVocabulary(): Promise<string[] | undefined> {
  const file = path.resolve(path.dirname(resolveCorpusDir()), "models/vocab/ggml-vocab-bert-bge.gguf");
  if (!existsSync(file)) return undefined;
  return wordPieceFromGgufTokens(await readGgufTokens(file));
}

async function readJsonLines(file: string): Promise<Array<{ title?: string; text?: string }>> {
  return (await readFile(file, "utf8"))
    .split("\n")
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as { title?: string; text?: string });
}

/**
 * SciFact abstracts cut at word boundaries into `count` chunks of about `targetTokens` tokens
 * (as `tokenizer` counts them, [CLS]/[SEP] included).
 */
export async function readChunkTexts(
  tokenizer: Tokenizer,
  count: number,
  targetTokens: number,
): Promise<string[]> {
  const corpusFile = sciFactFile("corpus.jsonl");
  const abstracts = (await readJsonLines(corpusFile)).map((record) =>
    `${record.title ?? ""} ${record.text ?? ""}`.split(/\s+/).filter((word) => word.length > 0),
  );
  const sample = abstracts.slice(0, 50);
  const sampleTokens = sample.reduce(
    (sum, words) => sum + tokenizer.encode(words.join(" "), { add_special_tokens: false }).ids.length,
    0,
  );
  const tokensPerWord = sampleTokens / sample.reduce((sum, words) => sum + words.length, 0);
  const wordsPerChunk = Math.max(1, Math.round((targetTokens - 2) / tokensPerWord));
  const chunks: string[] = [];
  for (const words of abstracts) {
    for (let start = 0; start + wordsPerChunk / 2 <= words.length; start += wordsPerChunk) {
      chunks.push(words.slice(start, start + wordsPerChunk).join(" "));
      if (chunks.length === count) return chunks;
    }
  }
  throw new Error(`${corpusFile} gave only ${chunks.length} chunks`);
}

/** The first `count` SciFact queries (claims of one sentence). */
export async function readSciFactQueries(count: number): Promise<string[]> {
  return (await readJsonLines(sciFactFile("queries.jsonl")))
    .slice(0, count)
    .map((record) => record.text ?? "");
}
