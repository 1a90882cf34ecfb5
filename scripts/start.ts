import { spawn } from "node:child_process";
import path from "node:path";
import { ConfigError, loadConfig } from "../lib/config";
import { listModels } from "../lib/models/pull";
import { getLogger } from "../lib/observability/log";
import { ensureNextBuild } from "./next-build";

/**
 * `npm start`: build if needed, serve Folio on embedded defaults, and — unless
 * AUTO_PULL_MODELS=false — download the configured catalog models that are missing, in the
 * background. The server picks them up when they land; nothing needs a restart.
 */
async function main(): Promise<number> {
  const log = getLogger();
  const config = loadConfig();
  await ensureNextBuild();

  const server = spawn(
    process.execPath,
    [
      path.join("node_modules", "next", "dist", "bin", "next"),
      "start",
      "-p",
      String(config.port),
      "-H",
      config.host,
    ],
    {
      stdio: "inherit",
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    },
  );
  const children = [server];
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      for (const child of children) child.kill(signal);
    });
  }
  log.info(
    `Folio is starting on ${config.web.publicUrl} (listening on ${config.host}:${config.port}, data in ${config.dataDir})`,
  );

  // The embedder first: it is small, and indexing waits for it; the answering model is gigabytes
  // (its vision projector and the reranker, when only they are missing, come last: answers work without them).
  const listing = await listModels(config);
  const order = { embedder: 0, generator: 1, projector: 2, reranker: 3 } as const;
  const missing = listing.models
    .filter((model) => model.isConfigured && !model.isPresent)
    .sort((left, right) => order[left.kind] - order[right.kind]);
  for (const problem of listing.problems) {
    log.info(`Vision: ${problem.message}${problem.command ? `\n  ${problem.command}` : ""}`);
  }
  if (missing.length > 0) {
    const commands = missing.map((model) => model.command ?? `copy ${model.name} into ${model.path}`);
    if (config.autoPullModels && missing.every((model) => model.command)) {
      log.info(
        `Downloading missing models (set AUTO_PULL_MODELS=false to skip): ${missing.map((m) => m.name).join(", ")}`,
      );
      const pull = spawn(
        process.execPath,
        ["--import", "tsx", path.join("scripts", "models.ts"), "pull", ...missing.map((model) => model.name)],
        { stdio: "inherit" },
      );
      children.push(pull);
    } else {
      log.info(
        `Models missing — Folio runs, but cannot ${missing.map((m) => ({ embedder: "index", generator: "answer", projector: "read images", reranker: "rerank search results" })[m.kind]).join(" or ")} until you run:\n  ${commands.join("\n  ")}`,
      );
    }
  }
  return new Promise((resolve) => server.once("exit", (code) => resolve(code ?? 0)));
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) getLogger().error(error.message);
    else getLogger().error("could not start", { error });
    process.exit(1);
  },
);
