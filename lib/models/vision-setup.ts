import { stat } from "node:fs/promises";
import path from "node:path";
import type { FolioConfig } from "../config";
import {
  findCatalogEntry,
  type ProjectorChoice,
  resolveGeneratorModelPath,
  resolveProjector,
} from "./catalog";
import { projectorMismatch, readGgufHeader, visionCapableArchitectures } from "./gguf-header";

/** Something wrong with the answering model's vision, and how to fix it. */
export interface VisionProblem {
  message: string;
  /** The exact command that fixes it, when one does. */
  command?: string;
}

export interface VisionSetup {
  /** The projector to load beside the model; undefined in a text-only setup. */
  projector: ProjectorChoice | undefined;
  isProjectorPresent: boolean;
  /**
   * Why images will not be read although they could or should be: the model's family reads images
   * but no projector is set, the projector is missing, or it does not fit the model.
   */
  problem: VisionProblem | undefined;
}

async function isFile(filePath: string): Promise<boolean> {
  return stat(filePath).then(
    (stats) => stats.isFile(),
    () => false,
  );
}

/**
 * Checks the answering model and its vision projector from their GGUF headers alone (milliseconds,
 * nothing is loaded): what `npm run models -- list`, `npm start` and the server report. A missing
 * model is not a vision problem (its own status says so).
 */
export async function describeVisionSetup(
  config: Pick<FolioConfig, "generator" | "modelsDir">,
): Promise<VisionSetup> {
  const modelPath = resolveGeneratorModelPath(config as FolioConfig);
  const projector = resolveProjector(config);
  const isProjectorPresent = projector !== undefined && (await isFile(projector.path));
  const setup = { projector, isProjectorPresent };
  if (!(await isFile(modelPath))) return { ...setup, problem: undefined };
  const modelName = path.basename(modelPath);

  if (!projector) {
    const model = await readGgufHeader(modelPath).catch(() => undefined);
    if (!model || !visionCapableArchitectures.has(model.architecture))
      return { ...setup, problem: undefined };
    return {
      ...setup,
      problem: {
        message:
          `The answering model ${modelName} is a ${model.architecture} model, which can read figures and page ` +
          "images with its vision projector (mmproj), but none is configured: answers use the figures' text only. " +
          "Set GENERATOR_MMPROJ to the mmproj file made for this model (a name under MODELS_DIR, or an absolute path).",
      },
    };
  }
  if (!isProjectorPresent) {
    return {
      ...setup,
      problem: {
        message:
          `The vision projector ${projector.path} is missing: answers use the figures' text only.` +
          (projector.command
            ? ` Download it with \`${projector.command}\`.`
            : " Copy the mmproj file made for this model there, or correct GENERATOR_MMPROJ."),
        ...(projector.command ? { command: projector.command } : {}),
      },
    };
  }

  const [model, projectorHeader] = await Promise.all([
    readGgufHeader(modelPath).catch(() => undefined),
    readGgufHeader(projector.path).catch(() => undefined),
  ]);
  if (!model) return { ...setup, problem: undefined };
  const mismatch = projectorHeader
    ? projectorMismatch(model, projectorHeader)
    : "it is not a GGUF file (a partial download?)";
  if (!mismatch) return { ...setup, problem: undefined };
  return { ...setup, problem: fixFor(config, projector, modelName, mismatch) };
}

function fixFor(
  config: Pick<FolioConfig, "generator">,
  projector: ProjectorChoice,
  modelName: string,
  mismatch: string,
): VisionProblem {
  const what = `The vision projector ${projector.path} does not fit ${modelName}: ${mismatch}.`;
  const catalogProjector = findCatalogEntry(config.generator.model)?.projector;
  if (projector.isConfigured && catalogProjector && catalogProjector !== config.generator.mmproj) {
    const command = `npm run models -- pull ${catalogProjector}`;
    return {
      message: `${what} Unset GENERATOR_MMPROJ (the model's own projector is used then) and run \`${command}\`.`,
      command,
    };
  }
  if (projector.command) {
    // The catalog's own file, replaced or damaged on disk: fetch it again.
    const command = `${projector.command} --force`;
    return { message: `${what} Download it again with \`${command}\`.`, command };
  }
  return {
    message: `${what} Set GENERATOR_MMPROJ to the mmproj file made for this model, or unset it for text-only answers.`,
  };
}
