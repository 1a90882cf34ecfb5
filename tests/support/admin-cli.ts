import { spawn } from "node:child_process";
import type { DatabaseHandle } from "../../db/client";
import { runAdmin } from "../../scripts/admin/run-admin";

export interface AdminCliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `scripts/admin.ts` (what `npm run admin --` runs) as a child process with Folio settings
 * `environment` (DATA_DIR, DATABASE_URL, …) and `stdin` piped in.
 */
export function runAdminCli(
  environment: Record<string, string>,
  args: string[],
  stdin = "",
): Promise<AdminCliResult> {
  return runCommand(process.execPath, ["--import", "tsx", "scripts/admin.ts", ...args], environment, stdin);
}

/**
 * Runs the same command in this process on an already open database: what the child process
 * does minus opening PGlite (seconds per run), so a test can afford many commands.
 */
export async function runAdminInProcess(
  environment: Record<string, string>,
  args: string[],
  options: { database: DatabaseHandle; stdin?: string },
): Promise<AdminCliResult> {
  let stdout = "";
  let stderr = "";
  const code = await runAdmin(args, {
    environment,
    out: (line) => {
      stdout += `${line}\n`;
    },
    err: (line) => {
      stderr += `${line}\n`;
    },
    readStdin: async () => options.stdin ?? "",
    database: options.database,
  });
  return { code, stdout, stderr };
}

/** Runs a shell command line, e.g. the README's `npm run admin -- token create … | tail -1`. */
export function runShell(environment: Record<string, string>, commandLine: string): Promise<AdminCliResult> {
  return runCommand("/bin/sh", ["-c", commandLine], environment, "");
}

function runCommand(
  command: string,
  args: string[],
  environment: Record<string, string>,
  stdin: string,
): Promise<AdminCliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...environment },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (piece) => {
      stdout += piece;
    });
    child.stderr.on("data", (piece) => {
      stderr += piece;
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
