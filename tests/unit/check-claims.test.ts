import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckClaimsInput, checkClaims } from "../../lib/answer/check-claims";
import { type ClaimJudge, parseVerificationReply } from "../../lib/answer/claim-judges";
import { OnnxEmbedder } from "../../lib/embeddings/onnx-embedder";
import { extractEntities, findEntity, indexForEntities } from "../../lib/text/entities";
import { extractNumbers, isNumberFound } from "../../lib/text/numbers";
import { splitSentences } from "../../lib/text/split-sentences";
import { createTinyVocabulary, writeTinyEmbeddingModel } from "../fixtures/builders/tiny-embedding-model";

const helmets = {
  n: 1,
  documentTitle: "site-safety.pdf",
  text:
    "Protective equipment: hard helmets must be worn at all times in zone seven, where cranes operate overhead. " +
    "Visitors receive a helmet at the gate and return it when they leave.",
};
const quarter = {
  n: 2,
  documentTitle: "quarterly-report.pdf",
  text:
    "Acme Corp revenue grew by 4.2% in the third quarter to $3.1 million, driven by exports to Canada. " +
    "Net income was 1,234.5 thousand dollars, twelve percent more than in 2022.",
};
const sources = [helmets, quarter];

let directory: string;
let embedder: OnnxEmbedder;

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-claims-"));
  // The tiny embedder with every word of these fixtures in its vocabulary (real WordPiece, real
  // onnxruntime): a bag of seeded random word vectors, so overlap in words is overlap in meaning.
  const fixtureWords = `${helmets.text} ${quarter.text} cafeteria vegetarian lunches fridays globex wear workers always above entrance leaving dividends shareholders paid march`;
  const vocabulary = [
    ...new Set([...createTinyVocabulary(), ...(fixtureWords.toLowerCase().match(/[a-z]+/g) ?? [])]),
  ];
  const model = await writeTinyEmbeddingModel(path.join(directory, "embedder"), {
    dims: 256,
    variant: "token",
    maxSequenceLength: 256,
    vocabulary,
  });
  embedder = await OnnxEmbedder.create({ modelDir: model.directory, threads: 1 });
});

afterAll(async () => {
  await embedder?.dispose();
  await rm(directory, { recursive: true, force: true });
});

async function verdictOf(answer: string, options: Partial<CheckClaimsInput> = {}) {
  const { claims } = await checkClaims({ answer, sources, embedder, ...options });
  expect(claims).toHaveLength(1);
  const [claim] = claims;
  if (!claim) throw new Error("no verdict");
  return claim;
}

describe("checkClaims", () => {
  it("supports a sentence that restates its source on its words alone, without the embedder", async () => {
    const claim = await verdictOf("Hard helmets must be worn at all times in zone seven [1].");
    expect(claim).toMatchObject({ support: "supported", markers: [1], lexical: 1, semantic: null });
    expect(claim.reasons).toEqual(["lexical 1.00"]);
  });

  it("measures meaning where the words leave the verdict open", async () => {
    const claim = await verdictOf("Visitors get a helmet at the entrance and give it back when leaving [1].");
    expect(claim.lexical).toBeLessThan(0.75);
    expect(claim.reasons.some((reason) => /^semantic -?\d\.\d\d$/.test(reason))).toBe(true);
  });

  it("supports a paraphrase: other word order, other inflections and function words", async () => {
    const claim = await verdictOf(
      "In zone 7 a hard helmet has to be worn at all times, as cranes are operating overhead [1].",
    );
    expect(claim.support).toBe("supported");
    expect(claim.lexical).toBeGreaterThanOrEqual(0.75);
  });

  it("calls a sentence with a changed number unsupported and names the number", async () => {
    const claim = await verdictOf("Acme Corp revenue grew by 4.3% in the third quarter [2].");
    expect(claim.support).toBe("unsupported");
    expect(claim.reasons[0]).toBe('number "4.3%" not in [2]');
    expect(claim.missing.numbers).toEqual(["4.3%"]);
    // everything else matches: the number alone decides
    expect(claim.lexical).toBe(1);
  });

  it("calls a sentence with a swapped company name weak or unsupported and names it", async () => {
    const claim = await verdictOf("Revenue at Globex grew by 4.2% in the third quarter [2].");
    expect(["weak", "unsupported"]).toContain(claim.support);
    expect(claim.reasons).toContain('entity "Globex" not in [2]');
    expect(claim.missing.entities).toEqual(["Globex"]);
  });

  it("calls a sentence about something its passage never mentions unsupported", async () => {
    const claim = await verdictOf("Dividends are paid to shareholders in March [1].");
    expect(claim.support).toBe("unsupported");
    expect(claim.lexical).toBe(0);
    expect(claim.semantic).toBeLessThan(0.3);
  });

  it("flags a negation the cited sentence does not have", async () => {
    const claim = await verdictOf("Hard helmets must not be worn in zone seven [1].");
    expect(claim.support).toBe("weak");
    expect(claim.reasons[0]).toBe("negation differs from [1]");
  });

  it.each([
    ["thousands separators and decimals", "Net income was 1234.5 thousand dollars [2]."],
    ["a percentage in digits for one in words", "Net income was 12% more than in 2022 [2]."],
    ["'percent' for '%'", "Revenue grew by 4.2 percent [2]."],
    ["money with a scale word for money in digits", "Revenue reached $3,100,000 in the third quarter [2]."],
    ["a rounded figure", "Revenue grew by about 4% in the third quarter, to $3 million [2]."],
  ])("finds numbers written differently: %s", async (_name, answer) => {
    const claim = await verdictOf(answer);
    expect(claim.missing.numbers).toEqual([]);
    expect(claim.support).toBe("supported");
  });

  it("checks a sentence with several markers against all the passages it cites", async () => {
    const answer = "Helmets must be worn in zone seven [1], and Acme Corp revenue grew by 4.2% [2].";
    const claim = await verdictOf(answer);
    expect(claim).toMatchObject({ support: "supported", markers: [1, 2] });
    const wrong = await verdictOf("Helmets must be worn in zone seven [1], and revenue grew by 5.9% [2].");
    expect(wrong.support).toBe("unsupported");
    expect(wrong.reasons[0]).toBe('number "5.9%" not in [1][2]');
  });

  it("gives a verdict only to sentences with a valid marker, at each sentence's place in the answer", async () => {
    const answer =
      "Here is what I found. Hard helmets must be worn in zone seven. [1] Revenue grew by 4.2% [2]. This is noted too [42].";
    const { claims, timing } = await checkClaims({ answer, sources, embedder });
    expect(claims.map((claim) => answer.slice(claim.start, claim.end))).toEqual([
      "Hard helmets must be worn in zone seven. [1]",
      "Revenue grew by 4.2% [2].",
    ]);
    expect(timing.sentences).toBe(2);
    expect(timing.totalMs).toBeGreaterThan(0);
  });

  it("asks the judge only about sentences the measures leave undecided, at most its cap", async () => {
    const asked: string[] = [];
    const judge: ClaimJudge = {
      by: "generator",
      maxClaims: 1,
      judge: async (claim) => {
        asked.push(claim.sentence);
        return { by: "generator", label: "supported" };
      },
    };
    const answer =
      "Hard helmets must be worn in zone seven [1]. Visitors get a helmet at the entrance [1]. Visitors give it back when leaving [1].";
    const { claims, timing } = await checkClaims({ answer, sources, embedder, judge });
    expect(claims[0]?.judgement).toBeUndefined();
    expect(asked).toHaveLength(1);
    expect(timing.judged).toBe(1);
    const judged = claims.find((claim) => claim.judgement);
    expect(judged).toMatchObject({
      support: "supported",
      judgement: { by: "generator", label: "supported" },
    });
    expect(judged?.reasons).toContain("generator: supported");
  });

  it("stops when the answer is cancelled", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      checkClaims({ answer: "Helmets [1].", sources, embedder, signal: controller.signal }),
    ).rejects.toThrow();
  });
});

describe("parseVerificationReply", () => {
  it.each([
    ["SUPPORTED", "supported"],
    [" supported.", "supported"],
    ["UNSUPPORTED", "unsupported"],
    ["Not supported", "unsupported"],
    ["The documents state", "unknown"],
    ["", "unknown"],
  ] as const)("reads %j as %s", (reply, label) => {
    expect(parseVerificationReply(reply)).toBe(label);
  });
});

describe("numbers", () => {
  const found = (claim: string, passage: string) => {
    const [number] = extractNumbers(claim, { includeNumberWords: "with-unit" });
    if (!number) throw new Error(`no number in ${claim}`);
    return isNumberFound(number, extractNumbers(passage));
  };

  it.each([
    ["1,234.5", "1234.5", true],
    ["1234.5", "1,234.5", true],
    ["12%", "12 percent", true],
    ["12 percent", "twelve percent", true],
    ["$3.1 million", "$3,100,000", true],
    ["$3.1 million", "3,104 (in thousands)", true],
    ["$3.1m", "3.1 million", true],
    ["4.2%", "4.3%", false],
    ["12.4%", "12%", false],
    ["2023", "2022", false],
    ["FY2023", "fiscal 2023", true],
  ] as const)("%s in %j: %s", (claim, passage, expected) => {
    expect(found(claim, passage)).toBe(expected);
  });

  it("does not read citation markers, ordinals or names with digits as quantities", () => {
    expect(extractNumbers("In Q3 the 3rd plant [2] opened.").map((number) => number.text)).toEqual([]);
  });
});

describe("splitSentences", () => {
  it("keeps decimals, abbreviations and markers after the period inside their sentence", () => {
    const text = "Revenue grew 4.2% at Acme Inc. in the U.S. market. [1] Costs fell, e.g. rent [2]. Done";
    expect(splitSentences(text).map((sentence) => sentence.text)).toEqual([
      "Revenue grew 4.2% at Acme Inc. in the U.S. market. [1]",
      "Costs fell, e.g. rent [2].",
      "Done",
    ]);
  });

  it("reads a hostile passage (one huge word, thousands of periods) in linear time", async () => {
    // Each period used to re-scan everything before it: 8,000 letters took minutes.
    const hostile = `${"a".repeat(50_000)}${" .".repeat(5_000)} End.`;
    expect(splitSentences(hostile).length).toBeGreaterThan(0);
    const cited = `${"b".repeat(20_000)}${" .".repeat(2_000)}`;
    const result = await checkClaims({
      answer: "The passage says nothing useful [1].",
      sources: [{ n: 1, text: cited, documentTitle: "hostile.pdf" }],
    });
    expect(result.claims).toHaveLength(1);
  });
});

describe("extractEntities", () => {
  it("finds names and acronyms but not a sentence's first word alone", () => {
    const names = extractEntities("Revenue at Acme Corp and the AGM in New York rose; Helmets too.").map(
      (entity) => entity.text,
    );
    expect(names).toEqual(["Acme Corp", "AGM", "New York"]);
  });

  it("finds a name abbreviated, an acronym spelled out, and tells a swapped first name", () => {
    const passage = indexForEntities("Acme Corporation held its annual general meeting with John Smith.");
    const [acme, agm, jane] = extractEntities("It said Acme Corp, the AGM and Jane Smith agreed.");
    expect([acme, agm, jane].map((entity) => entity && findEntity(entity, passage))).toEqual([
      "found",
      "found",
      "partial",
    ]);
  });
});
