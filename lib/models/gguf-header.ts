import { readGgufFileInfo } from "node-llama-cpp";

/**
 * What Folio reads from a GGUF header without loading the model: enough to tell a text model from
 * a vision projector (mmproj) and whether the two fit together. Reading stops at the header (the
 * tokenizer arrays are skipped), so a multi-GB file costs milliseconds.
 */
export interface GgufHeader {
  /** `general.architecture`: `gemma4`, `llama`, … for a text model, `clip` for a projector. */
  architecture: string;
  /** `<architecture>.embedding_length` (n_embd) of a text model. */
  embeddingLength: number | undefined;
  /** `<architecture>.context_length`, the train context of a text model. */
  contextLength: number | undefined;
  /** Present when the file is a projector (`clip.*` keys). */
  projector:
    | {
        hasVisionEncoder: boolean;
        /** `clip.projector_type` or `clip.vision.projector_type` (`mlp`, `gemma3`, `gemma4v`, …). */
        type: string | undefined;
        /** Width of the embeddings it feeds the text model: must equal the model's n_embd. */
        projectionDim: number | undefined;
        /** Input edge in pixels (`clip.vision.image_size`). */
        imageSize: number | undefined;
      }
    | undefined;
}

/**
 * Text architectures whose families ship a vision projector: a GGUF of one of these without an
 * mmproj answers from text only. (A family can hold text-only sizes too, e.g. Gemma 3 1B.)
 */
export const visionCapableArchitectures: ReadonlySet<string> = new Set([
  "gemma3",
  "gemma3n",
  "gemma4",
  "mistral3",
  "llama4",
  "qwen2vl",
  "qwen25vl",
  "qwen3vl",
  "qwen3vlmoe",
]);

const skippedKeys = [
  "tokenizer.ggml.tokens",
  "tokenizer.ggml.scores",
  "tokenizer.ggml.token_type",
  "tokenizer.ggml.merges",
];

type Nested = { [key: string]: unknown };

function lookup(root: unknown, dottedKey: string): unknown {
  let value: unknown = root;
  for (const key of dottedKey.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Nested)[key];
  }
  return value;
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  return undefined;
}

function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Reads the header of a GGUF file. Rejects (fs error, or a parse error) when it is not one. */
export async function readGgufHeader(filePath: string): Promise<GgufHeader> {
  const info = await readGgufFileInfo(filePath, {
    readTensorInfo: false,
    logWarnings: false,
    sourceType: "filesystem",
    ignoreKeys: skippedKeys,
  });
  const metadata: unknown = info.metadata;
  const architecture = asString(lookup(metadata, "general.architecture")) ?? "unknown";
  const isProjector = architecture === "clip" || lookup(metadata, "clip") !== undefined;
  return {
    architecture,
    embeddingLength: asNumber(lookup(metadata, `${architecture}.embedding_length`)),
    contextLength: asNumber(lookup(metadata, `${architecture}.context_length`)),
    projector: isProjector
      ? {
          hasVisionEncoder: lookup(metadata, "clip.has_vision_encoder") === true,
          type:
            asString(lookup(metadata, "clip.projector_type")) ??
            asString(lookup(metadata, "clip.vision.projector_type")),
          projectionDim: asNumber(lookup(metadata, "clip.vision.projection_dim")),
          imageSize: asNumber(lookup(metadata, "clip.vision.image_size")),
        }
      : undefined,
  };
}

/**
 * Why `projector` cannot feed `model`, in one sentence, or undefined when nothing in the headers
 * says so. A projector without `projection_dim` is not rejected here: llama.cpp checks the width
 * again when it loads the pair.
 */
export function projectorMismatch(model: GgufHeader, projector: GgufHeader): string | undefined {
  if (model.projector) return "the model file is itself a projector (mmproj), not a text model";
  if (!projector.projector) {
    return `the projector file is a ${projector.architecture} model, not a projector (mmproj)`;
  }
  if (!projector.projector.hasVisionEncoder) return "the projector has no vision encoder";
  const { projectionDim } = projector.projector;
  if (projectionDim !== undefined && model.embeddingLength !== undefined) {
    if (projectionDim !== model.embeddingLength) {
      return (
        `the projector makes ${projectionDim}-wide embeddings but the ${model.architecture} model ` +
        `takes ${model.embeddingLength} (it was made for another model)`
      );
    }
  }
  return undefined;
}
