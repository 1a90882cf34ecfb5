import { existsSync } from "node:fs";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OnnxEmbedder } from "../../lib/embeddings/onnx-embedder";
import { isAppError } from "../../lib/errors";
import {
  buildWordPieceTokenizerJson,
  writeTinyEmbeddingModel,
} from "../fixtures/builders/tiny-embedding-model";

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += (a[index] ?? 0) * (b[index] ?? 0);
  return sum;
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  let largest = 0;
  for (let index = 0; index < a.length; index++)
    largest = Math.max(largest, Math.abs((a[index] ?? 0) - (b[index] ?? 0)));
  return largest;
}

async function expectAppError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isAppError(error), `expected AppError ${code}, got ${String(error)}`).toBe(true);
  if (isAppError(error)) {
    expect(error.code).toBe(code);
    expect(error.category).toBe("unavailable");
  }
}

const sentences = [
  "The river runs past the old mill near the north farm.",
  "Payment of the invoice is due within thirty days.",
  "Children like to play music in the school hall.",
  "A cold wind came down from the mountain at night.",
];

let workDirectory: string;

beforeAll(async () => {
  workDirectory = await mkdtemp(path.join(tmpdir(), "folio-onnx-embedder-"));
});

afterAll(async () => {
  await rm(workDirectory, { recursive: true, force: true });
});

describe.each([
  { variant: "pooled" as const, dims: 64 },
  { variant: "token" as const, dims: 48 },
])("OnnxEmbedder on a tiny $variant model", ({ variant, dims }) => {
  let embedder: OnnxEmbedder;

  beforeAll(async () => {
    const { directory } = await writeTinyEmbeddingModel(path.join(workDirectory, `tiny-${variant}`), {
      variant,
      dims,
    });
    embedder = await OnnxEmbedder.create({ modelDir: directory, threads: 2, batchSize: 32 });
  });

  afterAll(async () => {
    await embedder?.dispose();
  });

  it("reports the model's identity, dims and limits", () => {
    expect(embedder.id).toBe(`onnx:tiny-${variant}`);
    expect(embedder.dims).toBe(dims);
    expect(embedder.maxSequenceLength).toBe(128);
    // 128 minus [CLS]/[SEP] minus the document prompt "title: none | text: " (6 tokens).
    expect(embedder.maxInputTokens).toBe(120);
  });

  it("returns one L2-normalised vector of `dims` values per text, in order", async () => {
    const vectors = await embedder.embed(sentences, "document");
    expect(vectors).toHaveLength(sentences.length);
    for (const vector of vectors) {
      expect(vector).toBeInstanceOf(Float32Array);
      expect(vector).toHaveLength(dims);
      expect(dot(vector, vector)).toBeCloseTo(1, 5);
    }
    const [first] = await embedder.embed([sentences[2] ?? ""], "document");
    expect(maxDifference(first ?? new Float32Array(), vectors[2] ?? new Float32Array())).toBeLessThan(1e-6);
  });

  it("gives identical texts identical vectors", async () => {
    const [a, b] = await embedder.embed(["same words here", "same words here"], "query");
    expect(Array.from(a ?? [])).toEqual(Array.from(b ?? []));
  });

  it("places a paraphrase sharing words closer than an unrelated text", async () => {
    const [text, paraphrase, unrelated] = await embedder.embed(
      [
        "The invoice payment is due at the end of the month.",
        "Payment of this invoice is due by the end of the month.",
        "A blue bird sang in the green tree all morning.",
      ],
      "document",
    );
    if (!text || !paraphrase || !unrelated) throw new Error("missing vectors");
    expect(dot(text, paraphrase)).toBeGreaterThan(dot(text, unrelated) + 0.1);
  });

  it("gives the same vectors in batches of 32 as one by one", async () => {
    const texts = Array.from(
      { length: 70 },
      (_, index) => `${sentences[index % sentences.length]} Item ${index} ${"and more ".repeat(index % 9)}`,
    );
    const batched = await embedder.embed(texts, "document");
    expect(batched).toHaveLength(70);
    for (const [index, text] of texts.entries()) {
      const [single] = await embedder.embed([text], "document");
      expect(maxDifference(single ?? new Float32Array(), batched[index] ?? new Float32Array())).toBeLessThan(
        1e-5,
      );
    }
  });

  it("changes the vector between query and document prompts", async () => {
    const [query] = await embedder.embed(["where is the river"], "query");
    const [document] = await embedder.embed(["where is the river"], "document");
    if (!query || !document) throw new Error("missing vectors");
    expect(dot(query, document)).toBeLessThan(0.9999);
  });

  it("counts tokens without special tokens and tokenizes unknown words without [UNK]", () => {
    expect(embedder.countTokens("")).toBe(0);
    expect(embedder.countTokens("the river")).toBe(2);
    // "zebra" is not a vocabulary word: it falls back to characters and ## continuations.
    expect(embedder.countTokens("zebra")).toBeGreaterThan(1);
  });

  it("rejects embedding after dispose", async () => {
    const { directory } = await writeTinyEmbeddingModel(path.join(workDirectory, `disposed-${variant}`), {
      variant,
    });
    const disposable = await OnnxEmbedder.create({ modelDir: directory, threads: 1 });
    await disposable.dispose();
    await expect(disposable.embed(["text"], "query")).rejects.toMatchObject({
      code: "unavailable:embedder_disposed",
    });
  });
});

describe("OnnxEmbedder truncation", () => {
  it("truncates inputs past the sequence length, keeping special tokens, and counts the full length", async () => {
    const { directory } = await writeTinyEmbeddingModel(path.join(workDirectory, "short"), {
      maxSequenceLength: 16,
    });
    const embedder = await OnnxEmbedder.create({ modelDir: directory, threads: 1 });
    try {
      const head = "the river runs past the old mill near the north farm and the water is cold";
      const long = `${head} ${"people work in the city every day ".repeat(40)}`;
      expect(embedder.countTokens(long)).toBeGreaterThan(200);
      const [a, b] = await embedder.embed(
        [long, `${head} ${"a blue bird sang in a tree ".repeat(30)}`],
        "query",
      );
      if (!a || !b) throw new Error("missing vectors");
      expect(dot(a, a)).toBeCloseTo(1, 5);
      // Only the first 16 tokens are seen, so texts that differ only after them embed the same.
      expect(maxDifference(a, b)).toBeLessThan(1e-6);
    } finally {
      await embedder.dispose();
    }
  });
});

describe("OnnxEmbedder model directory", () => {
  it("uses pooling from 1_Pooling/config.json (cls: every text pools to the [CLS] state)", async () => {
    const { directory } = await writeTinyEmbeddingModel(path.join(workDirectory, "cls"), {
      variant: "token",
    });
    const poolingFile = path.join(directory, "1_Pooling", "config.json");
    const pooling = JSON.parse(await readFile(poolingFile, "utf8"));
    await writeFile(
      poolingFile,
      JSON.stringify({ ...pooling, pooling_mode_cls_token: true, pooling_mode_mean_tokens: false }),
    );
    const embedder = await OnnxEmbedder.create({ modelDir: directory, threads: 1 });
    try {
      const [a, b] = await embedder.embed(["the river", "a cold wind"], "document");
      expect(Array.from(a ?? [])).toEqual(Array.from(b ?? []));
    } finally {
      await embedder.dispose();
    }
  });

  it("applies prompts from folio-embedding.json over config_sentence_transformers.json", async () => {
    const { directory } = await writeTinyEmbeddingModel(path.join(workDirectory, "override"));
    const plain = await OnnxEmbedder.create({ modelDir: directory, threads: 1, id: "plain" });
    await writeFile(
      path.join(directory, "folio-embedding.json"),
      JSON.stringify({ prompts: { query: "", document: "" } }),
    );
    const overridden = await OnnxEmbedder.create({ modelDir: directory, threads: 1 });
    try {
      expect(plain.id).toBe("plain");
      const [withPrompt] = await plain.embed(["the river"], "query");
      const [withoutPromptQuery] = await overridden.embed(["the river"], "query");
      const [withoutPromptDocument] = await overridden.embed(["the river"], "document");
      if (!withPrompt || !withoutPromptQuery || !withoutPromptDocument) throw new Error("missing vectors");
      expect(dot(withPrompt, withoutPromptQuery)).toBeLessThan(0.9999);
      expect(maxDifference(withoutPromptQuery, withoutPromptDocument)).toBeLessThan(1e-6);
      expect(overridden.maxInputTokens).toBe(126);
    } finally {
      await plain.dispose();
      await overridden.dispose();
    }
  });

  it("falls back to onnx/model_quantized.onnx when there is no model.onnx", async () => {
    const { directory } = await writeTinyEmbeddingModel(path.join(workDirectory, "quantized"));
    await rename(
      path.join(directory, "onnx", "model.onnx"),
      path.join(directory, "onnx", "model_quantized.onnx"),
    );
    const embedder = await OnnxEmbedder.create({ modelDir: directory, threads: 1 });
    expect(embedder.dims).toBe(64);
    await embedder.dispose();
  });

  it("reports a missing directory as unavailable:embedder_missing", async () => {
    await expectAppError(
      OnnxEmbedder.create({ modelDir: path.join(workDirectory, "does-not-exist"), threads: 1 }),
      "unavailable:embedder_missing",
    );
  });

  it("reports a missing tokenizer.json or graph as unavailable:embedder_missing, naming the file", async () => {
    const { directory } = await writeTinyEmbeddingModel(path.join(workDirectory, "incomplete"));
    await rm(path.join(directory, "tokenizer.json"));
    await expectAppError(
      OnnxEmbedder.create({ modelDir: directory, threads: 1 }),
      "unavailable:embedder_missing",
    );
    await expect(OnnxEmbedder.create({ modelDir: directory, threads: 1 })).rejects.toThrow(/tokenizer\.json/);
    await rm(path.join(directory, "onnx"), { recursive: true });
    await expect(OnnxEmbedder.create({ modelDir: directory, threads: 1 })).rejects.toThrow(
      /onnx\/model\.onnx/,
    );
  });

  it("reports a corrupt model.onnx as model_load_failed:embedder with the cause", async () => {
    const { directory } = await writeTinyEmbeddingModel(path.join(workDirectory, "corrupt"));
    await writeFile(path.join(directory, "onnx", "model.onnx"), "this is not a protobuf graph");
    const error = await OnnxEmbedder.create({ modelDir: directory, threads: 1 }).catch(
      (caught: unknown) => caught,
    );
    await expectAppError(Promise.reject(error), "unavailable:embedder_load_failed");
    expect((error as Error).cause).toBeDefined();
  });
});

/*
 * The real bge WordPiece vocabulary, from llama.cpp's tokenizer test files, with the token ids
 * llama.cpp's reference tokenizer produced for each test input. The .gguf was stored through a
 * lossy UTF-8 conversion (bytes ≥ 0x80 in numbers became U+FFFD), so only the token list is read,
 * by locating its key; the token strings themselves were valid UTF-8 and survived.
 */
const sharedDirectory = process.env.FOLIO_SHARED_DIR ?? path.resolve("../shared");
const bgeVocabularyFile = path.join(sharedDirectory, "models", "vocab", "ggml-vocab-bert-bge.gguf");
const hasBgeVocabulary = existsSync(bgeVocabularyFile);
if (!hasBgeVocabulary) console.warn(`Skipping the bge tokenizer test: ${bgeVocabularyFile} is absent`);

/** Reads `tokenizer.ggml.tokens` (a GGUF array of strings) and undoes llama.cpp's WordPiece renaming. */
function readBgeVocabulary(gguf: Buffer): string[] {
  const key = Buffer.from("tokenizer.ggml.tokens");
  let offset = gguf.indexOf(key) + key.length;
  const valueType = gguf.readUInt32LE(offset);
  const itemType = gguf.readUInt32LE(offset + 4);
  const count = Number(gguf.readBigUInt64LE(offset + 8));
  if (valueType !== 9 || itemType !== 8) throw new Error("tokenizer.ggml.tokens is not an array of strings");
  offset += 16;
  const tokens: string[] = [];
  for (let index = 0; index < count; index++) {
    const length = Number(gguf.readBigUInt64LE(offset));
    tokens.push(gguf.toString("utf8", offset + 8, offset + 8 + length));
    offset += 8 + length;
  }
  // llama.cpp stores word starts as "▁word" and continuations bare; WordPiece writes "word" and "##piece".
  return tokens.map((token) => {
    if (token.startsWith("[") && token.endsWith("]")) return token;
    if (token.startsWith("\u2581")) return token.slice(1);
    return `##${token}`;
  });
}

describe.skipIf(!hasBgeVocabulary)("bge WordPiece vocabulary through @huggingface/tokenizers", () => {
  it("reproduces llama.cpp's reference token ids, also through OnnxEmbedder.countTokens", async () => {
    const vocabulary = readBgeVocabulary(await readFile(bgeVocabularyFile));
    expect(vocabulary).toHaveLength(30522);
    expect(vocabulary[101]).toBe("[CLS]");
    // Each input is followed by a separator line; the .out file has one line of ids per input.
    const inputs = (await readFile(`${bgeVocabularyFile}.inp`, "utf8"))
      .split("\n__ggml_vocab_test__\n")
      .slice(0, -1);
    const expected = (await readFile(`${bgeVocabularyFile}.out`, "utf8"))
      .split("\n")
      .slice(0, inputs.length)
      .map((line) => line.trim().split(/\s+/).filter(Boolean).map(Number));
    expect(inputs).toHaveLength(46);

    const tokenizer = new Tokenizer(buildWordPieceTokenizerJson(vocabulary), {});
    const actual = inputs.map((input) => tokenizer.encode(input, { add_special_tokens: false }).ids);
    expect(actual).toEqual(expected);
    expect(tokenizer.encode("Hello world").ids).toEqual([101, 7592, 2088, 102]);

    const { directory } = await writeTinyEmbeddingModel(path.join(workDirectory, "bge-vocab"), {
      vocabulary,
      dims: 8,
    });
    const embedder = await OnnxEmbedder.create({ modelDir: directory, threads: 1 });
    try {
      expect(inputs.map((input) => embedder.countTokens(input))).toEqual(expected.map((ids) => ids.length));
    } finally {
      await embedder.dispose();
    }
  });
});
