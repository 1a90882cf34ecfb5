import { LlamaCppGenerator } from "./llama-cpp-generator";
import type { GenerateResult, LlamaCppChildRequest, LoadResult } from "./llama-cpp-protocol";
import { sendToParent, serveModelRequests } from "./model-child-protocol";

/**
 * The process that runs node-llama-cpp for `isolated-llama-cpp-generator.ts`, so that a native crash
 * of llama.cpp (an abort, a segfault, the OOM killer) ends this process and not the web server. It
 * hosts the in-process `LlamaCppGenerator` unchanged (its queue, its kept context sequence) and
 * serves it over IPC (`llama-cpp-protocol.ts`).
 */

let generator: LlamaCppGenerator | undefined;
const generations = new Map<number, AbortController>();

function loaded(): LlamaCppGenerator {
  if (!generator) throw new Error("no model is loaded");
  return generator;
}

async function generate(id: number, request: LlamaCppChildRequest & { type: "generate" }) {
  const controller = new AbortController();
  generations.set(id, controller);
  let pieces = 0;
  try {
    for await (const token of loaded().generate({ ...request.request, signal: controller.signal })) {
      pieces += 1;
      sendToParent({ type: "token", id, token });
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    generations.delete(id);
  }
  return { pieces, wasStopped: controller.signal.aborted } satisfies GenerateResult;
}

serveModelRequests<LlamaCppChildRequest>(async (request) => {
  switch (request.type) {
    case "load":
      generator = await LlamaCppGenerator.create(request.options);
      return { contextTokens: generator.capabilities.contextTokens } satisfies LoadResult;
    case "count": {
      const model = loaded();
      return Promise.all(request.texts.map((text) => model.countTokens(text)));
    }
    case "countPrompt":
      return loaded().countPromptTokens(request.prompt);
    case "generate":
      return generate(request.id, request);
    case "stop":
      generations.get(request.id)?.abort();
      return null;
    case "release":
      for (const controller of generations.values()) controller.abort();
      await generator?.dispose();
      generator = undefined;
      return null;
  }
});
