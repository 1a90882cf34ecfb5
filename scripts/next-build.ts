import { spawn } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";

/** Everything a production build depends on. */
const buildInputs = [
  "app",
  "lib",
  "ingest",
  "db",
  "next.config.ts",
  "package-lock.json",
  "instrumentation.ts",
  "proxy.ts",
  "tsconfig.json",
];

async function newestModificationMs(entry: string): Promise<number> {
  const info = await stat(entry).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  const children = await readdir(entry);
  const times = await Promise.all(children.map((child) => newestModificationMs(path.join(entry, child))));
  return Math.max(info.mtimeMs, ...times);
}

/** Runs `next build` when there is no build or a source file changed since the last one. */
export async function ensureNextBuild(projectDir = process.cwd()): Promise<"built" | "up-to-date"> {
  const buildId = await stat(path.join(projectDir, ".next", "BUILD_ID")).catch(() => undefined);
  const newestInput = Math.max(
    ...(await Promise.all(buildInputs.map((input) => newestModificationMs(path.join(projectDir, input))))),
  );
  if (buildId && buildId.mtimeMs >= newestInput) return "up-to-date";
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(projectDir, "node_modules", "next", "dist", "bin", "next"), "build"],
      {
        cwd: projectDir,
        stdio: "inherit",
        env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
      },
    );
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`next build exited with ${code}`)),
    );
  });
  return "built";
}
