import { sql } from "drizzle-orm";
import { classifyError } from "../http/error-response";
import { availability, type Folio } from "../runtime";

/** "ok", "loading" (still opening after the timeout; it keeps going), or the error code. */
export type CheckState = "ok" | "loading" | string;

export interface Readiness {
  isReady: boolean;
  checks: { database: CheckState; index: CheckState; embedder: CheckState; generator: CheckState };
}

/**
 * Whether this process can do its work now: the database answers `select 1`, the chunk table
 * opens, and — unless `requiresModels` is false — both models are loaded (a check starts their
 * loading, so a fresh process warms up under its readiness probe; their states are reported either way). Each check waits at most `timeoutMs`; a model load that takes
 * longer goes on in the background and reads "loading" until it is done. States name codes
 * only — never paths, versions or messages — since anyone may call /api/ready.
 */
export async function checkReadiness(
  folio: Folio,
  { timeoutMs, requiresModels = true }: { timeoutMs: number; requiresModels?: boolean },
): Promise<Readiness> {
  const [database, index, embedder, generator] = await Promise.all([
    withinTimeout(
      stateOf(() => folio.database.db.execute(sql`select 1`)),
      timeoutMs,
      "unavailable:database",
    ),
    withinTimeout(stateOf(folio.store), timeoutMs, "loading"),
    withinTimeout(
      modelState(() => availability("embedder", folio.embeddingParts)),
      timeoutMs,
      "loading",
    ),
    withinTimeout(
      modelState(() => availability("generator", folio.generator)),
      timeoutMs,
      "loading",
    ),
  ]);
  const checks = { database, index, embedder, generator };
  const required = requiresModels ? Object.values(checks) : [database, index];
  return { isReady: required.every((state) => state === "ok"), checks };
}

/** Readiness of a process whose Folio has not opened (yet): the database is what it waits for. */
export function notStarted(error: unknown): Readiness {
  const state = error === undefined ? "loading" : classifyError(error).code;
  return {
    isReady: false,
    checks: { database: state, index: "loading", embedder: "loading", generator: "loading" },
  };
}

async function stateOf(load: () => Promise<unknown>): Promise<CheckState> {
  try {
    await load();
    return "ok";
  } catch (error) {
    return classifyError(error).code;
  }
}

async function modelState(check: () => ReturnType<typeof availability>): Promise<CheckState> {
  const status = await check();
  return status.isReady ? "ok" : (status.problem?.code ?? "internal:unexpected");
}

/** `work`'s result, or `onTimeout` if it takes longer than `timeoutMs` (the work is not stopped). */
export async function withinTimeout<T>(work: Promise<T>, timeoutMs: number, onTimeout: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
