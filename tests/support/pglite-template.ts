import { randomBytes } from "node:crypto";
import { cp, mkdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";

/**
 * Creating a PGlite data directory runs initdb in WebAssembly: ~10 s of CPU, most of what starting
 * a test server on PGlite costs. Copying an initialised cluster made once costs a fraction of that.
 * The template is an empty cluster — no Folio tables, no users — so the server still migrates and
 * prints its setup link exactly as on a real first start.
 */
export async function copyPgliteTemplate(destination: string): Promise<void> {
  await cp(await pgliteTemplate(), destination, { recursive: true });
}

let template: Promise<string> | undefined;

function pgliteTemplate(): Promise<string> {
  template ??= createTemplate();
  return template;
}

async function createTemplate(): Promise<string> {
  const packageJson = path.join(process.cwd(), "node_modules", "@electric-sql", "pglite", "package.json");
  const { version } = JSON.parse(await readFile(packageJson, "utf8")) as { version: string };
  const directory = path.join(process.cwd(), "test-output", `pglite-template-${version}`);
  if (await isComplete(directory)) return directory;
  await mkdir(path.dirname(directory), { recursive: true });
  // Built aside and renamed into place: a concurrent test run sees a whole template or none.
  const building = `${directory}.building-${process.pid}-${randomBytes(4).toString("hex")}`;
  const client = new PGlite(building);
  await client.waitReady;
  await client.close();
  try {
    await rename(building, directory);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    if (!(await isComplete(directory))) throw error;
  }
  return directory;
}

async function isComplete(directory: string): Promise<boolean> {
  return (await readFile(path.join(directory, "PG_VERSION"), "utf8").catch(() => "")).trim() !== "";
}
