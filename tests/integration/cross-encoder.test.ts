import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { configuredAnswerChecks, disposeCrossEncoders } from "../../lib/answer/answer-checks";
import { checkClaims } from "../../lib/answer/check-claims";
import { loadConfig } from "../../lib/config";
import { OnnxCrossEncoder } from "../../lib/embeddings/onnx-cross-encoder";
import {
  computeTinyCrossEncoderLogits,
  writeTinyCrossEncoder,
} from "../fixtures/builders/tiny-cross-encoder";

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-cross-encoder-"));
});

afterAll(async () => {
  await disposeCrossEncoders();
  await rm(directory, { recursive: true, force: true });
});

const expectedLogits = computeTinyCrossEncoderLogits;

const softmax = (logits: number[]) => {
  const exps = logits.map((value) => Math.exp(value - Math.max(...logits)));
  const sum = exps.reduce((total, value) => total + value, 0);
  return exps.map((value) => value / sum);
};

const passage = {
  n: 1,
  documentTitle: "handbook.pdf",
  text: "Visitors receive a helmet at the gate and return it when they leave.",
};
/** Half its content words are in the passage: the overlap measures leave it to the judge. */
const undecided = "Afterwards visitors keep their helmet [1].";

describe("OnnxCrossEncoder", () => {
  it("scores a pair as the graph computes it: the pair in one sequence with its token types, labels from config.json", async () => {
    const model = await writeTinyCrossEncoder(path.join(directory, "nli"), {
      labels: ["contradiction", "entailment", "neutral"],
    });
    const encoder = await OnnxCrossEncoder.create({ modelDir: model.directory, threads: 1 });
    try {
      const pairs = [
        { premise: passage.text, hypothesis: "Visitors keep their helmet." },
        { premise: "Fire exits are marked in green.", hypothesis: "The exits are green." },
      ];
      const scores = await encoder.score(pairs);
      pairs.forEach((pair, index) => {
        const probabilities = softmax(expectedLogits(model, pair.premise, pair.hypothesis));
        expect(scores[index]?.entailment).toBeCloseTo(probabilities[1] ?? 0, 5);
        expect(scores[index]?.contradiction).toBeCloseTo(probabilities[0] ?? 0, 5);
      });
    } finally {
      await encoder.dispose();
    }
  });

  it("reads a one-logit cross-encoder as a support probability (sigmoid) with no contradiction", async () => {
    const model = await writeTinyCrossEncoder(path.join(directory, "reranker"), { labels: ["LABEL_0"] });
    const encoder = await OnnxCrossEncoder.create({ modelDir: model.directory, threads: 1 });
    try {
      const [score] = await encoder.score([{ premise: passage.text, hypothesis: "Helmets." }]);
      const [logit = 0] = expectedLogits(model, passage.text, "Helmets.");
      expect(score?.entailment).toBeCloseTo(1 / (1 + Math.exp(-logit)), 5);
      expect(score?.contradiction).toBeNull();
    } finally {
      await encoder.dispose();
    }
  });
});

describe("CLAIM_CHECK_MODEL", () => {
  const checksFor = (modelDir: string) =>
    configuredAnswerChecks(
      loadConfig({ DATA_DIR: directory, MODELS_DIR: directory, CLAIM_CHECK_MODEL: modelDir }),
    );

  it.each([
    ["entailment", [0, 8, 0], "supported"],
    ["contradiction", [8, 0, 0], "unsupported"],
  ] as const)("decides an undecided sentence when the model says %s", async (winner, bias, support) => {
    await writeTinyCrossEncoder(path.join(directory, winner), {
      labels: ["contradiction", "entailment", "neutral"],
      bias: [...bias],
    });
    const checks = await checksFor(winner);
    expect(checks.claimJudge?.by).toBe("cross-encoder");
    const { claims, timing } = await checkClaims({
      answer: undecided,
      sources: [passage],
      judge: checks.claimJudge,
    });
    expect(claims[0]).toMatchObject({ support, judgement: { by: "cross-encoder", label: support } });
    expect(claims[0]?.reasons.some((reason) => reason.startsWith(`cross-encoder: ${support} (`))).toBe(true);
    expect(timing.judged).toBe(1);
  });

  it("answers without a judge when the model cannot be loaded, and says why in the log", async () => {
    const logged = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const checks = await checksFor("no-such-model");
      expect(checks.claimJudge).toBeUndefined();
      expect(logged.mock.calls.map((call) => String(call[0])).join("")).toContain("CLAIM_CHECK_MODEL");
    } finally {
      logged.mockRestore();
    }
  });
});
