import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OnnxEmbedder } from "../../lib/embeddings/onnx-embedder";
import { OnnxReranker } from "../../lib/embeddings/onnx-reranker";
import { writeBertShapedModel } from "../fixtures/builders/bert-shaped-model";

let workDirectory: string;

beforeAll(async () => {
  workDirectory = await mkdtemp(path.join(tmpdir(), "folio-bert-shaped-"));
});

afterAll(async () => {
  await rm(workDirectory, { recursive: true, force: true });
});

const texts = ["The river runs past the old mill.", "Payment of the invoice is due within thirty days."];
// A small variant of the bge-small shape: same graph, fewer and narrower layers.
const smallShape = { layers: 2, hidden: 64, heads: 4, vocabularySize: 2000, maxPositions: 128 };

function norm(vector: Float32Array): number {
  return Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
}

describe("a BERT-shaped ONNX model with random weights", () => {
  it("runs in onnxruntime and gives Folio's embedder the CLS vector of its last hidden state", async () => {
    const model = await writeBertShapedModel(path.join(workDirectory, "token"), smallShape);
    expect(model.vocabularySize).toBe(2000);
    // Embeddings (2000 + 128 + 2 rows × 64) + per layer 4·64² + 2·64·256 weights, biases and norms.
    expect(model.parameterCount).toBe(
      2130 * 64 + 64 * 2 + 2 * (4 * (64 * 64 + 64) + 64 * 256 + 256 + 256 * 64 + 64 + 4 * 64),
    );

    const embedder = await OnnxEmbedder.create({ modelDir: model.directory, threads: 1 });
    const session = await ort.InferenceSession.create(model.graphPath, { intraOpNumThreads: 1 });
    try {
      expect(session.inputNames).toEqual(["input_ids", "attention_mask", "token_type_ids"]);
      expect(embedder.dims).toBe(64);
      expect(embedder.maxSequenceLength).toBe(128);
      const [vector] = await embedder.embed([texts[0] ?? ""], "document");

      // The same text through onnxruntime directly: [CLS] … [SEP] ids, then the CLS row, normalised.
      const tokenizer = new Tokenizer(
        JSON.parse(await readFile(path.join(model.directory, "tokenizer.json"), "utf8")),
        {},
      );
      const ids = tokenizer.encode(texts[0] ?? "").ids;
      const length = ids.length;
      expect(length).toBe(embedder.countTokens(texts[0] ?? "") + 2);
      const tensor = (values: bigint[]) => new ort.Tensor("int64", BigInt64Array.from(values), [1, length]);
      const result = await session.run({
        input_ids: tensor(ids.map(BigInt)),
        attention_mask: tensor(ids.map(() => 1n)),
        token_type_ids: tensor(ids.map(() => 0n)),
      });
      const hidden = result.last_hidden_state;
      if (!hidden) throw new Error("no last_hidden_state");
      expect(hidden.dims).toEqual([1, length, 64]);
      const cls = (hidden.data as Float32Array).slice(0, 64);
      const expected = cls.map((value) => value / norm(cls));
      expect(
        Math.max(...expected.map((value, index) => Math.abs(value - (vector?.[index] ?? 0)))),
      ).toBeLessThan(1e-5);
    } finally {
      await embedder.dispose();
      await session.release();
    }
  });

  it("pools and normalises in the graph when asked for sentence_embedding", async () => {
    const model = await writeBertShapedModel(path.join(workDirectory, "pooled"), {
      ...smallShape,
      output: "sentence_embedding",
    });
    const embedder = await OnnxEmbedder.create({ modelDir: model.directory, threads: 1 });
    try {
      const vectors = await embedder.embed(texts, "document");
      expect(vectors).toHaveLength(2);
      for (const vector of vectors) {
        expect(vector).toHaveLength(64);
        expect(norm(vector)).toBeCloseTo(1, 5);
      }
      expect(Array.from(vectors[0] ?? [])).not.toEqual(Array.from(vectors[1] ?? []));
    } finally {
      await embedder.dispose();
    }
  });

  it.each([
    ["BERT (ms-marco-MiniLM)", 2],
    ["XLM-RoBERTa (bge-reranker), no token_type_ids", 1],
  ] as const)(
    "gives a reranker one logit a pair with a classification head: %s",
    async (_name, typeVocabularySize) => {
      const model = await writeBertShapedModel(path.join(workDirectory, `logits-${typeVocabularySize}`), {
        ...smallShape,
        output: "logits",
        typeVocabularySize,
      });
      const reranker = await OnnxReranker.create({ modelDir: model.directory, threads: 1 });
      const session = await ort.InferenceSession.create(model.graphPath, { intraOpNumThreads: 1 });
      try {
        expect(session.inputNames).toEqual(
          typeVocabularySize === 1
            ? ["input_ids", "attention_mask"]
            : ["input_ids", "attention_mask", "token_type_ids"],
        );
        const query = "when is the invoice due";
        const scores = await reranker.score(query, texts);
        expect(scores).toHaveLength(2);
        // The second pair through onnxruntime directly: [CLS] query [SEP] passage [SEP], token types 0 then 1.
        const tokenizer = new Tokenizer(
          JSON.parse(await readFile(path.join(model.directory, "tokenizer.json"), "utf8")),
          {},
        );
        const encoding = tokenizer.encode(query, { text_pair: texts[1] ?? "", return_token_type_ids: true });
        const length = encoding.ids.length;
        const tensor = (values: number[]) =>
          new ort.Tensor("int64", BigInt64Array.from(values.map(BigInt)), [1, length]);
        const result = await session.run({
          input_ids: tensor(encoding.ids),
          attention_mask: tensor(encoding.ids.map(() => 1)),
          ...(typeVocabularySize === 2 ? { token_type_ids: tensor(encoding.token_type_ids ?? []) } : {}),
        });
        const logits = result.logits;
        if (!logits) throw new Error("no logits");
        expect(logits.dims).toEqual([1, 1]);
        expect(scores[1]).toBeCloseTo((logits.data as Float32Array)[0] ?? Number.NaN, 4);
      } finally {
        await reranker.dispose();
        await session.release();
      }
    },
  );
});
