import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { resolveModelSpec } from "../../lib/models/catalog";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { type FolioApi, folioApi, readEvents, setUpFirstAdmin, setupTokenIn } from "../support/api";
import { startFakeHub } from "../support/fake-hub";
import { buildTestModels } from "../support/test-models";

/**
 * The README's first command as a new user meets it: `npm start` on an empty machine serves at
 * once, downloads the missing default models from the Hub (here a local peer serving the tiny
 * test models under the catalog's names) and picks them up without a restart.
 */
let directory: string;
let hub: Awaited<ReturnType<typeof startFakeHub>>;
let start: ChildProcess;
let baseUrl: string;
let output = "";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

async function readTree(root: string, prefix = ""): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory())
      for (const [key, value] of await readTree(path.join(root, entry.name), relative)) files.set(key, value);
    else files.set(relative, await readFile(path.join(root, entry.name)));
  }
  return files;
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-npm-start-"));
  const built = await buildTestModels(path.join(directory, "built"));
  const generator = resolveModelSpec("gemma-4-e2b-it");
  const embedder = resolveModelSpec("bge-small-en-v1.5");
  const served = new Map<string, Uint8Array>([
    [`${generator.repo}/${generator.files[0]}`, await readFile(built.generatorPath)],
    [`${embedder.repo}/config.json`, new TextEncoder().encode("{}")],
    [`${embedder.repo}/special_tokens_map.json`, new TextEncoder().encode("{}")],
  ]);
  for (const [relative, content] of await readTree(built.embedderDir))
    served.set(`${embedder.repo}/${relative}`, content);
  hub = await startFakeHub(served);

  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  start = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    env: {
      ...process.env,
      DATABASE_URL: "",
      PORT: String(port),
      DATA_DIR: path.join(directory, "data"),
      MODELS_DIR: path.join(directory, "models"),
      HF_ENDPOINT: hub.endpoint,
      MODEL_THREADS: "1",
      GENERATOR_CONTEXT_TOKENS: "4096",
      GENERATOR_MAX_ANSWER_TOKENS: "64",
      CHUNK_MAX_TOKENS: "120",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  start.stdout?.on("data", (piece) => {
    output += piece;
  });
  start.stderr?.on("data", (piece) => {
    output += piece;
  });
});

afterAll(async () => {
  if (start && start.exitCode === null) {
    const exited = new Promise((resolve) => start.once("exit", resolve));
    start.kill("SIGTERM");
    await exited;
  }
  await hub?.close();
  await rm(directory, { recursive: true, force: true });
});

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}:\n${output}`);
}

it("serves at once, pulls the default models in the background, then answers with citations", async () => {
  await waitFor(async () => ((await fetch(baseUrl)).ok ? true : undefined), "the first page");
  expect(output).toMatch(/listening on 127\.0\.0\.1:/);
  const setupToken = await waitFor(async () => setupTokenIn(output), "the one-time setup link");
  const api: FolioApi = folioApi(baseUrl, { cookie: await setUpFirstAdmin(baseUrl, setupToken) });
  await waitFor(async () => {
    const status = (await (await api.request("/api/status")).json()) as {
      models: { isReady: boolean }[];
    };
    return status.models.every((model) => model.isReady) ? true : undefined;
  }, "both models to be pulled and loaded");
  expect(output).toContain("Downloading missing models");
  expect(hub.requests.some((request) => request.endsWith(".gguf"))).toBe(true);

  const collectionId = await api.createCollection("first-day");
  const pdf = buildTextPdf({ pages: [["Intro."], ["The spare office keys are kept in the blue cabinet."]] });
  expect((await api.upload(collectionId, "office.pdf", pdf)).status).toBe(202);
  expect((await api.waitForJobs(collectionId))[0]?.state).toBe("succeeded");
  const events = await readEvents(
    await api.ask({ question: "Where are the spare office keys kept? blue cabinet" }),
  );
  // Both pages are sent (whole, in page order); the scripted model cites [1] and [2].
  const cited = events.flatMap((event) => (event.type === "citation" ? [event.citation.source] : []));
  expect(cited.map((source) => [source.documentTitle, source.pageNumber])).toEqual([
    ["office.pdf", 1],
    ["office.pdf", 2],
  ]);
  expect(cited[1]?.text).toContain("blue cabinet");
});
