import { ConfigError, type FolioConfig, loadConfig } from "../lib/config";
import { isAppError } from "../lib/errors";
import { type CatalogEntry, listCatalog, resolvePullSpecs } from "../lib/models/catalog";
import { listModels, type PulledFile, type PullFileEvent, pullModel } from "../lib/models/pull";
import { createProgressBar, formatMegabytes, type ProgressBar } from "../lib/terminal/progress-bar";

/**
 * `npm run models -- pull <alias | hf-uri>…` and `npm run models -- list`.
 * Exit codes: 0 success, 1 a pull failed, 2 bad usage or configuration, 130 interrupted.
 */
const exitCodes = { success: 0, failed: 1, usage: 2, interrupted: 130 } as const;
const progressIntervalMs = 100;

function printHelp(): void {
  const aliases = listCatalog()
    .map(
      (entry) =>
        `  ${entry.alias.padEnd(22)} ${entry.kind.padEnd(9)} ${entry.repo}\n  ${"".padEnd(32)} ${entry.description}`,
    )
    .join("\n");
  process.stdout.write(`Usage: npm run models -- <command> [options]

Commands:
  pull <spec>...   Download models into MODELS_DIR, verify their sha256, record them in manifest.json
                   (a catalog answering model comes with its vision projector, mmproj)
  list             Show the configured and catalog models: present or missing, size, sha256, and
                   whether the answering model's vision projector is there and fits it

<spec> is a catalog alias, or a Hugging Face URI:
  hf:<owner>/<repo>[@<revision>]/<file.gguf>   one GGUF file (answering model)
  hf:<owner>/<repo>[@<revision>]               an ONNX embedder or reranker directory (onnx/model.onnx, tokenizer.json, …)

Options:
  --force          download again even if the file on disk matches the manifest
  -h, --help       show this help

Catalog:
${aliases}

Environment: MODELS_DIR (where models go), HF_ENDPOINT (default https://huggingface.co),
HF_TOKEN (for gated repositories, after accepting the licence on the model page).
`);
}

function shortSha(sha256: string | undefined): string {
  return sha256 ? `${sha256.slice(0, 12)}…` : "not hashed yet";
}

function createFileProgress() {
  let bar: ProgressBar | undefined;
  let lastUpdateAt = 0;
  return {
    start(event: PullFileEvent, repo: string): void {
      bar = undefined;
      process.stderr.write(`[${event.index + 1}/${event.count}] ${repo}/${event.path}\n`);
    },
    progress(event: PullFileEvent, receivedBytes: number, totalBytes: number | undefined): void {
      if (totalBytes === undefined) return;
      bar ??= createProgressBar({
        total: totalBytes,
        title: `  ${event.path}`,
        formatAmount: formatMegabytes,
      });
      const now = Date.now();
      if (now - lastUpdateAt >= progressIntervalMs) {
        lastUpdateAt = now;
        bar.update(receivedBytes);
      }
    },
    done(result: PulledFile): void {
      if (result.status === "downloaded") {
        const label = result.isVerified ? "sha256 verified" : "sha256 recorded";
        if (bar) bar.finish(label);
        else process.stderr.write(`  downloaded ${formatMegabytes(result.bytes ?? 0)} (${label})\n`);
      } else if (result.status === "already-present") {
        process.stderr.write(`  already present (sha256 ${shortSha(result.sha256)})\n`);
      } else {
        process.stderr.write("  not in this repository (optional, skipped)\n");
      }
      bar = undefined;
    },
  };
}

async function runPull(
  config: FolioConfig,
  specs: string[],
  force: boolean,
  signal: AbortSignal,
): Promise<number> {
  // Resolve every spec first: a typo in the third spec should not surface after two large downloads.
  // A generator brings its vision projector along (pulled first); each entry is pulled once.
  const entries = new Map<string, CatalogEntry>();
  for (const spec of specs) {
    try {
      for (const entry of resolvePullSpecs(spec)) entries.set(entry.alias, entry);
    } catch (error) {
      reportError(error);
      return exitCodes.usage;
    }
  }
  let failures = 0;
  for (const entry of entries.values()) {
    const progress = createFileProgress();
    try {
      const result = await pullModel({
        spec: entry.alias,
        config,
        force,
        signal,
        onFileStart: (event) => progress.start(event, entry.repo),
        onProgress: (event, receivedBytes, totalBytes) => progress.progress(event, receivedBytes, totalBytes),
        onFileDone: (_event, result) => progress.done(result),
      });
      const downloaded = result.files.filter((file) => file.status === "downloaded").length;
      const present = result.files.filter((file) => file.status === "already-present").length;
      process.stdout.write(
        `${entry.alias}: ${result.localPath} (${downloaded} downloaded, ${present} already present)\n`,
      );
    } catch (error) {
      if (signal.aborted) throw error;
      failures += 1;
      reportError(error, entry.alias);
    }
  }
  return failures === 0 ? exitCodes.success : exitCodes.failed;
}

async function runList(config: FolioConfig): Promise<number> {
  const listing = await listModels(config);
  process.stdout.write(`MODELS_DIR ${listing.modelsDir}\n\n`);
  for (const model of listing.models) {
    const title = `${model.kind.padEnd(9)} ${model.name}${model.isConfigured ? " (configured)" : ""}`;
    if (model.isPresent) {
      process.stdout.write(
        `${title}\n  present  ${formatMegabytes(model.bytes)}  sha256 ${shortSha(model.sha256)}  ${model.path}\n`,
      );
    } else {
      process.stdout.write(`${title}\n  missing  ${model.missingFiles.join(", ")} in ${model.path}\n`);
      if (model.command) process.stdout.write(`  get it:  ${model.command}\n`);
    }
  }
  for (const problem of listing.problems) {
    process.stdout.write(`\nvision: ${problem.message}\n`);
    if (problem.command) process.stdout.write(`  fix:     ${problem.command}\n`);
  }
  return exitCodes.success;
}

function reportError(error: unknown, context?: string): void {
  const prefix = context ? `${context}: ` : "";
  if (isAppError(error)) {
    process.stderr.write(`error: ${prefix}${error.message} [${error.code}]\n`);
  } else if (error instanceof ConfigError) {
    process.stderr.write(`error: ${error.message}\n`);
  } else {
    process.stderr.write(
      `error: ${prefix}${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
}

async function main(argv: string[]): Promise<number> {
  const flags = new Set(argv.filter((argument) => argument.startsWith("-")));
  const positional = argv.filter((argument) => !argument.startsWith("-"));
  const unknownFlags = [...flags].filter((flag) => !["--force", "-h", "--help"].includes(flag));
  const [command, ...specs] = positional;
  if (flags.has("-h") || flags.has("--help")) {
    printHelp();
    return exitCodes.success;
  }
  if (
    unknownFlags.length > 0 ||
    !command ||
    !["pull", "list"].includes(command) ||
    (command === "pull" && specs.length === 0)
  ) {
    if (unknownFlags.length > 0) process.stderr.write(`error: unknown option ${unknownFlags.join(", ")}\n`);
    else if (command === "pull") process.stderr.write("error: pull needs at least one alias or hf: URI\n");
    else if (command) process.stderr.write(`error: unknown command "${command}"\n`);
    process.stderr.write("Run `npm run models -- --help` for usage.\n");
    return exitCodes.usage;
  }

  let config: FolioConfig;
  try {
    config = loadConfig();
  } catch (error) {
    reportError(error);
    return exitCodes.usage;
  }

  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort(new Error("interrupted")));
  try {
    return command === "pull"
      ? await runPull(config, specs, flags.has("--force"), controller.signal)
      : await runList(config);
  } catch (error) {
    if (controller.signal.aborted) {
      process.stderr.write("\ninterrupted; partial downloads were removed\n");
      return exitCodes.interrupted;
    }
    reportError(error);
    return isAppError(error) && error.category === "invalid" ? exitCodes.usage : exitCodes.failed;
  }
}

process.exitCode = await main(process.argv.slice(2));
