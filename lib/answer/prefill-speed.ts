import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Generator } from "../llm/generator";

/** ~450 tokens of ordinary prose: long enough to time, short enough to take a second on a CPU. */
const probeText =
  "The quarterly report lists revenue, costs, cash and risks for every segment of the group. ".repeat(25);

/**
 * Prompt tokens per second this machine's generator reads before its first answer token:
 * measured once (a one-token answer to a probe prompt) and stored in `cacheFile` for that model
 * and thread count, so restarts do not measure again.
 */
export async function prefillTokensPerSecond(
  generator: Generator,
  options: { cacheFile: string; threads: number },
): Promise<number> {
  const key = `${generator.id}|${generator.modelSha256}|${options.threads}`;
  const cached = await readCache(options.cacheFile);
  const known = cached[key];
  if (typeof known === "number" && known > 0) return known;
  const measured = await measurePrefill(generator);
  await writeCache(options.cacheFile, { ...cached, [key]: measured });
  return measured;
}

export async function measurePrefill(generator: Generator): Promise<number> {
  const request = { system: "", messages: [{ role: "user" as const, content: probeText }] };
  const tokens = await generator.countPromptTokens(request);
  const startedAt = performance.now();
  for await (const _piece of generator.generate({
    ...request,
    maxTokens: 1,
    sampling: { temperature: 0, topP: 1, topK: 1, seed: 0 },
  })) {
    // The answer does not matter, only how long the prompt took.
  }
  const seconds = Math.max((performance.now() - startedAt) / 1000, 0.001);
  return Math.round(tokens / seconds);
}

/**
 * The prompt's share of the window: the window less the answer's reserve, and no more than this
 * machine reads in `prefillSeconds` (so a CPU does not spend minutes before the first word).
 */
export function promptBudgetTokens(input: {
  contextTokens: number;
  maxAnswerTokens: number;
  prefillTokensPerSecond: number;
  prefillSeconds: number;
}): number {
  const windowBudget = input.contextTokens - input.maxAnswerTokens;
  return Math.max(0, Math.min(windowBudget, Math.floor(input.prefillTokensPerSecond * input.prefillSeconds)));
}

async function readCache(file: string): Promise<Record<string, unknown>> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, "utf8"));
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

async function writeCache(file: string, value: Record<string, unknown>): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(value, null, 2));
  await rename(temporary, file);
}
